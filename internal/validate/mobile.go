package validate

import "strings"

// Mobile validates a Chinese mainland mobile number and returns the 11
// digits. Input is compacted first (full-width digits, spaces and dashes are
// accepted); a leading "+86", "0086" or "86" country code is removed when
// exactly 11 digits follow. Errors are *Error.
func Mobile(s string) (string, error) {
	s = Compact(s)
	for _, p := range []string{"+86", "0086", "86"} {
		if rest, ok := strings.CutPrefix(s, p); ok && len(rest) == 11 {
			s = rest
			break
		}
	}
	if len(s) != 11 || s[0] != '1' || s[1] < '3' || s[1] > '9' || !allDigits(s) {
		return "", errorf("手机号格式不正确")
	}
	return s, nil
}
