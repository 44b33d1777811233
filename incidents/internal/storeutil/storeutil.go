// Package storeutil is the logic the incident store backends share that
// does not depend on the database: loading the embedded schema migrations,
// and bringing incidents and events into the form every backend stores.
// Keeping it in one place stops the backends drifting apart on it; SQL and
// anything driver-specific stay in the backends. It is internal so that
// only incidents/... can depend on it.
package storeutil
