package actions

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// Executor runs actions against the targets file with the guardrails
// that do not depend on who asks: parameters resolved to real resources,
// a timeout, one mutating action at a time per resource, and the global
// dry-run switch. Who may run what, and the confirmation, are the bot's.
type Executor struct {
	reg     *Registry
	targets *Targets
	locks   Locker
}

// Locker takes a named lock that every replica sees (the incident store
// provides one). ok is false when another holder has it.
type Locker interface {
	TryLock(ctx context.Context, name string) (release func(), ok bool, err error)
}

// NewExecutor builds an executor over the registered runners. A nil
// locker locks within this process only.
func NewExecutor(reg *Registry, targets *Targets, locks Locker) (*Executor, error) {
	if reg == nil || targets == nil {
		return nil, errors.New("actions: an executor needs a registry and targets")
	}
	if locks == nil {
		locks = &localLocks{held: map[string]bool{}}
	}
	return &Executor{reg: reg, targets: targets, locks: locks}, nil
}

// Targets returns the targets file the executor acts on.
func (e *Executor) Targets() *Targets { return e.targets }

// Prepared is an action ready to preview and run.
type Prepared struct {
	Spec   Spec
	runner Runner
	Req    Request
}

// Describe is the action and its target for people: "Scale service on web".
func (p Prepared) Describe() string {
	switch {
	case p.Req.Service != nil:
		return p.Spec.Title + " on " + p.Req.Service.Name
	case p.Req.Database != nil:
		return p.Spec.Title + " on " + p.Req.Database.Name
	}
	return p.Spec.Title
}

// Prepare resolves an action and its parameters to the targets file.
func (e *Executor) Prepare(id string, params map[string]any) (Prepared, error) {
	spec, ok := Lookup(id)
	if !ok {
		return Prepared{}, fmt.Errorf("unknown action %q", id)
	}
	run, ok := e.reg.Runner(id)
	if !ok {
		return Prepared{}, fmt.Errorf("action %s is not available in this deployment", id)
	}
	req := Request{Params: params, Limits: e.targets.Limits()}
	if name, ok := params["service"].(string); ok {
		s, err := e.targets.Service(name)
		if err != nil {
			return Prepared{}, err
		}
		req.Service = s
	}
	if name, ok := params["database"].(string); ok {
		d, err := e.targets.Database(name)
		if err != nil {
			return Prepared{}, err
		}
		req.Database = d
	}
	return Prepared{Spec: spec, runner: run, Req: req}, nil
}

// DryRun reports whether mutating actions only preview.
func (e *Executor) DryRun() bool { return e.targets.Guardrails.DryRun }

// Timeout bounds one preview or run.
func (e *Executor) Timeout() time.Duration { return e.targets.Guardrails.Timeout.Duration }

// Preview shows what a mutating action would change.
func (e *Executor) Preview(ctx context.Context, p Prepared) (Preview, error) {
	ctx, cancel := context.WithTimeout(ctx, e.Timeout())
	defer cancel()
	pv, err := p.runner.Preview(ctx, p.Req)
	if err != nil {
		return Preview{}, timeoutErr(ctx, err)
	}
	return pv, nil
}

// ErrBusy is returned when another mutating action is changing the same
// resource.
var ErrBusy = errors.New("another action is changing this resource")

// Run runs a prepared action. A mutating one runs only with the preview
// that was confirmed, one at a time per resource, and not at all in dry
// run (the result then says what would have happened).
func (e *Executor) Run(ctx context.Context, p Prepared, confirmed *Preview) (Result, time.Duration, error) {
	start := time.Now()
	if p.Spec.Mutates {
		if confirmed == nil || confirmed.Resource == "" {
			return Result{}, 0, errors.New("a mutating action needs a confirmed preview naming its resource")
		}
		if e.DryRun() {
			return Result{Summary: "Dry run: would " + confirmed.Change + " (nothing was changed)"}, time.Since(start), nil
		}
		release, err := e.claim(ctx, confirmed.Resource)
		if err != nil {
			return Result{}, 0, err
		}
		defer release()
		// What was confirmed must still be what would happen: a preview of
		// "desired 4 → 15" confirmed after the autoscaler moved to 25 would
		// otherwise scale down in the middle of an incident.
		fresh, err := e.Preview(ctx, p)
		if err != nil {
			return Result{}, time.Since(start), err
		}
		if stale(*confirmed, fresh) {
			return Result{}, time.Since(start), &Error{Code: "changed",
				Message: fmt.Sprintf("the state changed since the preview (now: %s); nothing was done — preview again from the card", fresh.Change)}
		}
		p.Req.Confirmed = confirmed
	}
	ctx, cancel := context.WithTimeout(ctx, e.Timeout())
	defer cancel()
	res, err := p.runner.Run(ctx, p.Req)
	return res, time.Since(start), timeoutErr(ctx, err)
}

// stale reports whether a fresh preview no longer matches the confirmed
// one: its data (the state an action depends on) when it has any, else
// the change it describes.
func stale(confirmed, fresh Preview) bool {
	if confirmed.Resource != fresh.Resource {
		return true
	}
	if len(confirmed.Data) > 0 {
		for k, v := range confirmed.Data {
			if fresh.Data[k] != v {
				return true
			}
		}
		return false
	}
	return confirmed.Change != fresh.Change
}

// claim takes the resource for one mutating action, across replicas;
// release gives it back.
func (e *Executor) claim(ctx context.Context, resource string) (func(), error) {
	if resource == "" {
		return func() {}, nil
	}
	release, ok, err := e.locks.TryLock(ctx, "action:"+resource)
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", resource, err)
	}
	if !ok {
		return nil, fmt.Errorf("%w: another action is changing %s; try again when it has finished", ErrBusy, resource)
	}
	return release, nil
}

// localLocks is the in-process Locker.
type localLocks struct {
	mu   sync.Mutex
	held map[string]bool
}

func (l *localLocks) TryLock(_ context.Context, name string) (func(), bool, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.held[name] {
		return nil, false, nil
	}
	l.held[name] = true
	return func() {
		l.mu.Lock()
		delete(l.held, name)
		l.mu.Unlock()
	}, true, nil
}

func timeoutErr(ctx context.Context, err error) error {
	if err != nil && errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return &Error{Code: "timeout", Message: "the action did not finish within the configured timeout: " + err.Error()}
	}
	return err
}
