package storeutil

import "github.com/incident-bot/incident-bot/incidents"

// CheckClaimKey validates the key of Store.Claim before anything is
// written: an empty key would be one claim shared by every caller that
// forgot to set it.
func CheckClaimKey(key string) error {
	if key == "" {
		return incidents.Errorf(incidents.EINVALID, "a claim needs a non-empty key")
	}
	return nil
}
