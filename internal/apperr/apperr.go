// Package apperr defines the application's error codes. Every room returns these; the web layer maps a code to an
// HTTP status in one table, so handlers never pick status codes themselves.
package apperr

import (
	"errors"
	"fmt"
)

// Code classifies an application error.
type Code string

const (
	Invalid      Code = "invalid"      // the input breaks a rule; Fields says which
	NotFound     Code = "not_found"    // no such record (or not visible to the caller)
	Conflict     Code = "conflict"     // duplicate or state conflict
	Forbidden    Code = "forbidden"    // authenticated but not allowed
	Unauthorized Code = "unauthorized" // not logged in / bad credentials
	TooMany      Code = "too_many"     // throttled
	Internal     Code = "internal"     // a bug or an outage
)

// Error is an application error with a Chinese message for the user.
type Error struct {
	Code    Code
	Message string
	Fields  map[string]string // field name → Chinese message
	Err     error             // wrapped cause, not shown to users
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Err)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

func (e *Error) Unwrap() error { return e.Err }

// New makes an error with the given code and message.
func New(code Code, msg string) *Error { return &Error{Code: code, Message: msg} }

// Errorf makes an error with a formatted message.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Fields makes an Invalid error from field messages; nil when fields is empty.
func FieldErrors(fields map[string]string) error {
	if len(fields) == 0 {
		return nil
	}
	return &Error{Code: Invalid, Message: "提交的内容有误，请检查标出的字段", Fields: fields}
}

// CodeOf returns the code of err, Internal for errors that are not *Error.
func CodeOf(err error) Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return Internal
}

// MessageOf returns the user-facing message of err.
func MessageOf(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "系统内部错误，请稍后再试或联系管理员"
}

// FieldsOf returns the field errors of err, if any.
func FieldsOf(err error) map[string]string {
	var e *Error
	if errors.As(err, &e) {
		return e.Fields
	}
	return nil
}

// Is reports whether err carries code.
func Is(err error, code Code) bool { return err != nil && CodeOf(err) == code }
