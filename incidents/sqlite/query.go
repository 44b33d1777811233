package sqlite

import (
	"context"
	"fmt"

	"github.com/google/uuid"

	"github.com/incident-bot/incident-bot/incidents"
)

// Get returns the incident with the given ID, or incidents.ErrNotFound.
func (s *Store) Get(ctx context.Context, id uuid.UUID) (incidents.Incident, error) {
	inc, err := scanIncident(s.q.QueryRowContext(ctx, "SELECT "+incidentColumns+" FROM incidents WHERE id = ?", id.String()))
	if err != nil {
		return incidents.Incident{}, fmt.Errorf("get incident %s: %w", id, err)
	}
	return inc, nil
}

// ByChannel returns the incident mapped to channelID, or
// incidents.ErrNotFound.
func (s *Store) ByChannel(ctx context.Context, channelID string) (incidents.Incident, error) {
	if channelID == "" {
		// '' means "no channel yet" and is shared by many incidents.
		return incidents.Incident{}, fmt.Errorf("incident for empty channel: %w", incidents.ErrNotFound)
	}
	inc, err := scanIncident(s.q.QueryRowContext(ctx, "SELECT "+incidentColumns+" FROM incidents WHERE channel_id = ?", channelID))
	if err != nil {
		return incidents.Incident{}, fmt.Errorf("incident for channel %s: %w", channelID, err)
	}
	return inc, nil
}

// List returns incidents, most recently declared first; number breaks ties
// so the order is stable.
func (s *Store) List(ctx context.Context, f incidents.ListFilter) ([]incidents.Incident, error) {
	if f.Limit < 0 {
		return nil, incidents.Errorf(incidents.EINVALID, "the list limit must not be negative")
	}
	limit := f.Limit
	if limit == 0 {
		limit = -1 // SQLite: no limit
	}
	rows, err := s.db.QueryContext(ctx, "SELECT "+incidentColumns+" FROM incidents WHERE (? = 0 OR status <> ?)"+
		" ORDER BY declared_at DESC, number DESC LIMIT ?", f.OpenOnly, string(incidents.StatusResolved), limit)
	if err != nil {
		return nil, fmt.Errorf("list incidents: %w", err)
	}
	defer rows.Close()
	var list []incidents.Incident
	for rows.Next() {
		inc, err := scanIncident(rows)
		if err != nil {
			return nil, fmt.Errorf("list incidents: %w", err)
		}
		list = append(list, inc)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list incidents: %w", err)
	}
	return list, nil
}

// Timeline returns the incident's events by time, then by insertion order,
// or incidents.ErrNotFound when there is no such incident.
func (s *Store) Timeline(ctx context.Context, id uuid.UUID) ([]incidents.Event, error) {
	rows, err := s.db.QueryContext(ctx, "SELECT "+eventColumns+" FROM incident_events WHERE incident_id = ? ORDER BY at, seq", id.String())
	if err != nil {
		return nil, fmt.Errorf("timeline of %s: %w", id, err)
	}
	defer rows.Close()
	var events []incidents.Event
	for rows.Next() {
		ev, err := scanEvent(rows)
		if err != nil {
			return nil, fmt.Errorf("timeline of %s: %w", id, err)
		}
		events = append(events, ev)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("timeline of %s: %w", id, err)
	}
	if len(events) == 0 {
		// Every incident has at least its declaration, but do not rely on
		// it: tell "no events" from "no incident".
		var exists bool
		if err := s.db.QueryRowContext(ctx, "SELECT EXISTS (SELECT 1 FROM incidents WHERE id = ?)", id.String()).Scan(&exists); err != nil {
			return nil, fmt.Errorf("timeline of %s: %w", id, err)
		}
		if !exists {
			return nil, fmt.Errorf("timeline of %s: %w", id, incidents.ErrNotFound)
		}
	}
	return events, nil
}
