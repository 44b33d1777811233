// Package storetest is the conformance suite every incidents.Store passes.
// Each backend's tests call Run with a function that opens an empty store;
// the suite then checks the semantics documented on incidents.Store, so
// the backends stay interchangeable.
package storetest

import (
	"testing"

	"github.com/incident-bot/incident-bot/incidents"
)

// Run runs the suite. open must return a new, empty store for the given
// (sub)test and close it in t.Cleanup; it is called from parallel subtests.
// It is long because it is the suite's table of cases, one line each.
func Run(t *testing.T, open func(t *testing.T) incidents.Store) {
	tests := []struct {
		name string
		fn   func(*testing.T, incidents.Store)
	}{
		{"Create/AssignsIncreasingNumbers", testCreateNumbers},
		{"Create/ReturnsWhatIsStored", testCreateStored},
		{"Create/DuplicateKey", testCreateDuplicateKey},
		{"Create/EmptyKeyIsNotIdempotent", testCreateEmptyKey},
		{"Create/ChannelTaken", testCreateChannelTaken},
		{"Create/ConcurrentSameKey", testCreateConcurrentSameKey},
		{"Create/ConcurrentDistinctKeys", testCreateConcurrentDistinctKeys},
		{"Get/NotFound", testGetNotFound},
		{"ByChannel", testByChannel},
		{"List/Order", testListOrder},
		{"List/OpenOnly", testListOpenOnly},
		{"List/Limit", testListLimit},
		{"Update/WritesIncidentAndEvents", testUpdateWrites},
		{"Update/WithoutEvents", testUpdateWithoutEvents},
		{"Update/FnErrorWritesNothing", testUpdateFnError},
		{"Update/NotFound", testUpdateNotFound},
		{"Update/ChannelTaken", testUpdateChannelTaken},
		{"Update/Concurrent", testUpdateConcurrent},
		{"UpdateOnce/DuplicateKey", testUpdateOnceDuplicate},
		{"UpdateOnce/FnErrorLeavesKeyUnused", testUpdateOnceFnError},
		{"UpdateOnce/WriteErrorLeavesKeyUnused", testUpdateOnceWriteError},
		{"UpdateOnce/ConcurrentSameKey", testUpdateOnceConcurrentSameKey},
		{"UpdateOnce/EmptyKeyIsNotIdempotent", testUpdateOnceEmptyKey},
		{"UpdateOnce/KeyUsedByCreate", testUpdateOnceKeyFromCreate},
		{"UpdateOnce/NotFound", testUpdateOnceNotFound},
		{"Timeline/Order", testTimelineOrder},
		{"Timeline/NotFound", testTimelineNotFound},
		{"RoundTrip/TimesAndData", testRoundTripTimesAndData},
		{"RoundTrip/ZeroTimes", testRoundTripZeroTimes},
		{"RoundTrip/UnstorableText", testUnstorableText},
		{"Timers/RoundTrip", testTimersRoundTrip},
		{"Due/Empty", testDueEmpty},
		{"Due/OrderLimitAndNext", testDueOrderAndNext},
		{"Due/InvalidLimit", testDueInvalidLimit},
		{"Due/ResolvedNeverDue", testDueResolved},
		{"Due/FollowsUpdate", testDueFollowsUpdate},
		{"Due/ConcurrentWithUpdates", testDueConcurrentWithUpdates},
		{"Claim/Once", testClaimOnce},
		{"Claim/KeysIndependent", testClaimKeysIndependent},
		{"Claim/EmptyKey", testClaimEmptyKey},
		{"Claim/Concurrent", testClaimConcurrent},
		{"Alerts/AddAndStats", testAlertsAddAndStats},
		{"Alerts/AllOrNothing", testAlertsAllOrNothing},
		{"Alerts/OpenIncident", testAlertIncident},
		{"Alerts/Latest", testAlertsLatest},
		{"Alerts/Triage", testAlertsTriage},
		{"Alerts/Keys", testAlertKeys},
		{"Alerts/Cards", testTriageCards},
		{"Alerts/StillFiring", testStillFiring},
		{"ChannelLog", testChannelLog},
		{"TryLock", testTryLock},
		{"Ping", testPing},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t, open(t))
		})
	}
}

func testPing(t *testing.T, s incidents.Store) {
	if err := s.Ping(t.Context()); err != nil {
		t.Fatalf("Ping: %v", err)
	}
}
