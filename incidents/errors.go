package incidents

import (
	"errors"
	"fmt"
)

// Error codes shared by the domain and its adapters. The edges (Slack, HTTP)
// map them to user text; anything without a code is an internal error.
const (
	ECONFLICT  = "conflict"  // the action does not fit the current state
	EINVALID   = "invalid"   // the input is wrong
	ENOTFOUND  = "not_found" // no such thing
	EFORBIDDEN = "forbidden" // the actor may not do this
	EINTERNAL  = "internal"
)

// Error is a domain error whose Message is safe to show to a user.
type Error struct {
	Code    string
	Message string
}

func (e *Error) Error() string { return fmt.Sprintf("%s: %s", e.Code, e.Message) }

// Errorf builds a domain error with a user-facing message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of the domain error in err's chain, or EINTERNAL.
func ErrorCode(err error) string {
	if e, ok := errors.AsType[*Error](err); ok {
		return e.Code
	}
	if err == nil {
		return ""
	}
	return EINTERNAL
}

// ErrorMessage returns the user-facing message of a domain error, or a
// generic text for internal errors (which are logged, never shown).
func ErrorMessage(err error) string {
	if e, ok := errors.AsType[*Error](err); ok {
		return e.Message
	}
	return "internal error"
}

// ErrNotFound is returned by stores when a lookup matches nothing.
var ErrNotFound = &Error{Code: ENOTFOUND, Message: "no such incident"}
