package graphs

import (
	"regexp"
	"strings"
)

// regionNames maps the display names of AWS's commercial regions, as
// CloudWatch alarm messages on SNS write them, to region codes; keys are
// lower case. The list is the SDK's partitions.json (aws partition) plus
// older spellings alarm messages have used (EU for Europe, São Paulo
// with its accent).
var regionNames = map[string]string{
	"us east (n. virginia)":      "us-east-1",
	"us east (ohio)":             "us-east-2",
	"us west (n. california)":    "us-west-1",
	"us west (oregon)":           "us-west-2",
	"africa (cape town)":         "af-south-1",
	"asia pacific (hong kong)":   "ap-east-1",
	"asia pacific (taipei)":      "ap-east-2",
	"asia pacific (mumbai)":      "ap-south-1",
	"asia pacific (hyderabad)":   "ap-south-2",
	"asia pacific (singapore)":   "ap-southeast-1",
	"asia pacific (sydney)":      "ap-southeast-2",
	"asia pacific (jakarta)":     "ap-southeast-3",
	"asia pacific (melbourne)":   "ap-southeast-4",
	"asia pacific (malaysia)":    "ap-southeast-5",
	"asia pacific (new zealand)": "ap-southeast-6",
	"asia pacific (thailand)":    "ap-southeast-7",
	"asia pacific (tokyo)":       "ap-northeast-1",
	"asia pacific (seoul)":       "ap-northeast-2",
	"asia pacific (osaka)":       "ap-northeast-3",
	"canada (central)":           "ca-central-1",
	"canada west (calgary)":      "ca-west-1",
	"europe (frankfurt)":         "eu-central-1",
	"europe (zurich)":            "eu-central-2",
	"europe (ireland)":           "eu-west-1",
	"europe (london)":            "eu-west-2",
	"europe (paris)":             "eu-west-3",
	"europe (milan)":             "eu-south-1",
	"europe (spain)":             "eu-south-2",
	"europe (stockholm)":         "eu-north-1",
	"eu (frankfurt)":             "eu-central-1",
	"eu (zurich)":                "eu-central-2",
	"eu (ireland)":               "eu-west-1",
	"eu (london)":                "eu-west-2",
	"eu (paris)":                 "eu-west-3",
	"eu (milan)":                 "eu-south-1",
	"eu (spain)":                 "eu-south-2",
	"eu (stockholm)":             "eu-north-1",
	"israel (tel aviv)":          "il-central-1",
	"middle east (bahrain)":      "me-south-1",
	"middle east (uae)":          "me-central-1",
	"mexico (central)":           "mx-central-1",
	"south america (sao paulo)":  "sa-east-1",
	"south america (são paulo)":  "sa-east-1",
}

// regionCode is the shape of a region code, so codes pass through,
// including those of regions newer than the table above.
var regionCode = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9]+$`)

// RegionCode maps a region's display name ("US East (N. Virginia)") to
// its code ("us-east-1"); a code is returned as it is; "" when unknown.
func RegionCode(name string) string {
	name = strings.TrimSpace(name)
	if regionCode.MatchString(name) {
		return name
	}
	return regionNames[strings.ToLower(strings.Join(strings.Fields(name), " "))]
}
