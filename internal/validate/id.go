package validate

import (
	"fmt"
	"time"
	"unicode/utf8"
)

// now is replaceable in tests.
var now = time.Now

var idWeights = [17]int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}

const idCheckChars = "10X98765432"

// IDNumberCheckChar computes the GB 11643-1999 check character ('0'–'9' or
// 'X') for the first 17 digits of a resident ID number. The input is
// compacted first (see Compact).
func IDNumberCheckChar(first17 string) (byte, error) {
	s := Compact(first17)
	if n := utf8.RuneCountInString(s); n != 17 {
		return 0, errorf(fmt.Sprintf("身份证号前17位应为17位数字（当前%d位）", n))
	}
	if !allDigits(s) {
		return 0, errorf("身份证号前17位只能是数字")
	}
	return idCheck(s), nil
}

// idCheck assumes s starts with 17 ASCII digits.
func idCheck(s string) byte {
	sum := 0
	for i, w := range idWeights {
		sum += int(s[i]-'0') * w
	}
	return idCheckChars[sum%11]
}

// IDNumber validates a GB 11643-1999 resident ID number (居民身份证号) and
// returns it in canonical form: 18 ASCII characters, 17 digits followed by a
// digit or upper-case 'X'. Input is compacted first, so full-width digits,
// spaces, dashes and a lower-case 'x' are accepted. The birth date must be a
// real calendar date between 1900-01-01 and today. Errors are *Error.
func IDNumber(s string) (string, error) {
	s = Compact(s)
	if n := utf8.RuneCountInString(s); n != 18 {
		return "", errorf(fmt.Sprintf("身份证号应为18位（当前%d位）", n))
	}
	if !allDigits(s[:17]) || !(isDigit(s[17]) || s[17] == 'X') {
		return "", errorf("身份证号含有非法字符")
	}
	if _, ok := parseBirth(s[6:14]); !ok {
		return "", errorf("身份证号出生日期无效")
	}
	if c := idCheck(s); c != s[17] {
		return "", errorf(fmt.Sprintf("身份证号校验位错误，应为 %c", c))
	}
	return s, nil
}

// IDBirthDate extracts the birth date (midnight UTC) from an 18-digit ID
// number. ok is false if the input (after Compact) is not 18 characters long
// or the date part is not a real date between 1900-01-01 and today. The check
// character is not verified.
func IDBirthDate(id string) (time.Time, bool) {
	s := Compact(id)
	if len(s) != 18 || !allDigits(s[:17]) {
		return time.Time{}, false
	}
	return parseBirth(s[6:14])
}

// IDGender returns "男" (odd 17th digit) or "女" (even 17th digit) for an
// 18-digit ID number, or "" if the input (after Compact) is not 18 characters
// long or its 17th character is not a digit. The check character is not
// verified.
func IDGender(id string) string {
	s := Compact(id)
	if len(s) != 18 || !isDigit(s[16]) {
		return ""
	}
	if (s[16]-'0')%2 == 1 {
		return "男"
	}
	return "女"
}

// parseBirth parses an 8-digit YYYYMMDD date and checks it lies between
// 1900-01-01 and today (local time).
func parseBirth(d string) (time.Time, bool) {
	if len(d) != 8 || !allDigits(d) {
		return time.Time{}, false
	}
	y := atoi(d[:4])
	m := atoi(d[4:6])
	day := atoi(d[6:8])
	t := time.Date(y, time.Month(m), day, 0, 0, 0, 0, time.UTC)
	if t.Year() != y || int(t.Month()) != m || t.Day() != day {
		return time.Time{}, false // e.g. 0230 or month 13 normalised away
	}
	ny, nm, nd := now().Date()
	today := time.Date(ny, nm, nd, 0, 0, 0, 0, time.UTC)
	if y < 1900 || t.After(today) {
		return time.Time{}, false
	}
	return t, true
}

func atoi(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		n = n*10 + int(s[i]-'0')
	}
	return n
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return true
}
