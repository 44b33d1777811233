package sns

// The bound on certificate downloads, for the black-box tests in sns_test.
const (
	FetchBurst = fetchBurst
	FetchEvery = fetchEvery
)
