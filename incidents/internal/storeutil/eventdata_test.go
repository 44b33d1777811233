package storeutil

import (
	"maps"
	"testing"
)

func TestEventDataRoundTrip(t *testing.T) {
	for _, data := range []map[string]string{nil, {}, {"from": "SEV2", "to": "SEV1"}} {
		stored, err := EncodeEventData(data)
		if err != nil {
			t.Fatalf("EncodeEventData(%v): %v", data, err)
		}
		got, err := DecodeEventData([]byte(stored))
		if err != nil {
			t.Fatalf("DecodeEventData(%q): %v", stored, err)
		}
		if len(data) == 0 && got != nil {
			t.Errorf("%v stored as %q reads back as %v, want nil", data, stored, got)
		}
		if !maps.Equal(got, data) {
			t.Errorf("%v stored as %q reads back as %v", data, stored, got)
		}
	}
	if stored, _ := EncodeEventData(nil); stored != "{}" {
		t.Errorf("EncodeEventData(nil) = %q, want {} for the NOT NULL column", stored)
	}
	if _, err := DecodeEventData([]byte(`["not", "an", "object"]`)); err == nil {
		t.Error("DecodeEventData of a JSON array succeeded; want an error")
	}
}
