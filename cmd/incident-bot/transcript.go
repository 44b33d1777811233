package main

import (
	"context"
	"fmt"
	"time"

	"github.com/incident-bot/incident-bot/incidents"
)

// newTranscript builds what records incident channels as they happen,
// and records that this process hears events from now on: before any job
// runs (a postmortem the last process left unfinished among them), so a
// draft knows the stretch before this start was not heard, and reads it
// from Slack's history.
func (m *Main) newTranscript(cfg Config) (*incidents.Transcript, error) {
	t, err := incidents.NewTranscript(incidents.TranscriptOptions{Log: m.store, Incidents: m.svc, Clock: cfg.Clock})
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := t.Capturing(ctx); err != nil {
		return nil, fmt.Errorf("record the start of capture: %w", err)
	}
	return t, nil
}
