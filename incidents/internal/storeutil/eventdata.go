package storeutil

import "encoding/json"

// EncodeEventData is what both backends keep in incident_events.data: a
// JSON object, "{}" when there is no data, since the column is NOT NULL.
// Callers add which event it was to errors.
func EncodeEventData(data map[string]string) (string, error) {
	if data == nil {
		return "{}", nil
	}
	b, err := json.Marshal(data)
	if err != nil {
		return "", err
	}
	return string(b), nil
}

// DecodeEventData reads incident_events.data back. An empty object is nil,
// so an event stored without data compares equal to what was written,
// whichever backend stored it. Callers add which event it was to errors.
func DecodeEventData(stored []byte) (map[string]string, error) {
	var data map[string]string
	if err := json.Unmarshal(stored, &data); err != nil {
		return nil, err
	}
	if len(data) == 0 {
		return nil, nil
	}
	return data, nil
}
