package validate

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// creditAlphabet is the GB 32100-2015 character set; a character's value is
// its index. I, O, S, V and Z are not used.
const creditAlphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"

var creditWeights = [17]int{1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28}

// CreditCodeCheckChar computes the GB 32100-2015 check character for the
// first 17 characters of a unified social credit code. The input is compacted
// first (see Compact), so lower-case letters are accepted.
func CreditCodeCheckChar(first17 string) (byte, error) {
	s := Compact(first17)
	if n := utf8.RuneCountInString(s); n != 17 {
		return 0, errorf(fmt.Sprintf("统一社会信用代码前17位应为17个字符（当前%d位）", n))
	}
	if r, ok := creditFirstIllegal(s); !ok {
		return 0, errorf(fmt.Sprintf("统一社会信用代码含有非法字符“%c”", r))
	}
	return creditCheck(s), nil
}

// creditFirstIllegal returns the first character of s that is not in the
// alphabet, and ok=false if there is one.
func creditFirstIllegal(s string) (rune, bool) {
	for _, r := range s {
		if r >= utf8.RuneSelf || strings.IndexByte(creditAlphabet, byte(r)) < 0 {
			return r, false
		}
	}
	return 0, true
}

// creditCheck assumes the first 17 bytes of s are in the alphabet.
func creditCheck(s string) byte {
	sum := 0
	for i, w := range creditWeights {
		sum += strings.IndexByte(creditAlphabet, s[i]) * w
	}
	c := 31 - sum%31
	if c == 31 {
		c = 0
	}
	return creditAlphabet[c]
}

// CreditCode validates a GB 32100-2015 unified social credit code
// (统一社会信用代码) and returns it in canonical form: 18 upper-case ASCII
// characters. Input is compacted first, so full-width characters, spaces,
// dashes and lower-case letters are accepted. Errors are *Error.
func CreditCode(s string) (string, error) {
	s = Compact(s)
	if n := utf8.RuneCountInString(s); n != 18 {
		return "", errorf(fmt.Sprintf("统一社会信用代码应为18位（当前%d位）", n))
	}
	if r, ok := creditFirstIllegal(s); !ok {
		return "", errorf(fmt.Sprintf("统一社会信用代码含有非法字符“%c”", r))
	}
	if c := creditCheck(s); c != s[17] {
		return "", errorf(fmt.Sprintf("统一社会信用代码校验位错误，应为 %c", c))
	}
	return s, nil
}
