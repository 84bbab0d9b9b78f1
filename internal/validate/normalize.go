// Package validate normalises and validates Chinese identity data (resident
// ID numbers, unified social credit codes, mobile numbers) as it arrives from
// office software and phone forms: full-width characters, ideographic spaces,
// stray separators and lower-case letters are all tolerated on input, while
// the returned values are always in canonical form.
package validate

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Error is a validation failure. Msg is a Chinese, user-facing message.
type Error struct {
	Msg string
}

// Error implements the error interface.
func (e *Error) Error() string { return e.Msg }

func errorf(msg string) error { return &Error{Msg: msg} }

// Normalize converts full-width ASCII (U+FF01–U+FF5E) to half-width, turns the
// ideographic space (U+3000), NBSP and every other Unicode white space into a
// plain space, collapses runs of white space into one space and trims the
// result. Invisible format characters that commonly sneak in through copy and
// paste (zero-width space, word joiner, BOM, LRM/RLM) are removed. Invalid
// UTF-8 bytes are replaced by U+FFFD, so the result is always valid UTF-8.
func Normalize(s string) string {
	if isNormal(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	pendingSpace := false
	for _, r := range s {
		switch {
		case r >= 0xFF01 && r <= 0xFF5E:
			r -= 0xFEE0
		case isInvisible(r):
			continue
		}
		if unicode.IsSpace(r) {
			pendingSpace = b.Len() > 0
			continue
		}
		if pendingSpace {
			b.WriteByte(' ')
			pendingSpace = false
		}
		b.WriteRune(r) // an invalid byte arrives here as utf8.RuneError
	}
	return b.String()
}

// isNormal reports whether Normalize would return s unchanged. It keeps
// the common case (already clean text) allocation-free.
func isNormal(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= utf8.RuneSelf {
			return isNormalUnicode(s)
		}
		if c < ' ' || c == 0x7F {
			// Control characters other than white space are kept by
			// Normalize, but take the slow path for simplicity.
			return false
		}
		if c == ' ' && (i == 0 || i == len(s)-1 || s[i+1] == ' ') {
			return false
		}
	}
	return true
}

func isNormalUnicode(s string) bool {
	prevSpace := true // a leading space is not normal
	for i, r := range s {
		switch {
		case r == utf8.RuneError:
			if _, size := utf8.DecodeRuneInString(s[i:]); size == 1 {
				return false
			}
		case r >= 0xFF01 && r <= 0xFF5E, isInvisible(r):
			return false
		}
		if unicode.IsSpace(r) {
			if r != ' ' || prevSpace {
				return false
			}
			prevSpace = true
			continue
		}
		prevSpace = false
	}
	return !prevSpace || s == ""
}

// isInvisible reports zero-width format characters that are dropped.
func isInvisible(r rune) bool {
	switch r {
	case 0x200B, // zero width space
		0x200E, 0x200F, // left-to-right / right-to-left mark
		0x2060, // word joiner
		0xFEFF: // zero width no-break space (BOM)
		return true
	}
	return false
}

// isDash reports hyphen-like characters that Compact removes together with
// the ASCII '-'.
func isDash(r rune) bool {
	switch {
	case r == '-', r >= 0x2010 && r <= 0x2015, r == 0x2212, r == 0xFE63:
		return true
	}
	return false
}

// Compact normalises s (see Normalize) and then removes all white space and
// dashes ('-' and its Unicode look-alikes such as '—' and '−') and upper-cases
// ASCII letters. It is meant for codes and phone numbers.
func Compact(s string) string {
	s = Normalize(s)
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		switch {
		case r == ' ' || isDash(r):
			continue
		case r >= 'a' && r <= 'z':
			r -= 'a' - 'A'
		}
		b.WriteRune(r)
	}
	return b.String()
}
