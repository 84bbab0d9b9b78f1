package books

import "strings"

// UpperYuan writes fen as 大写金额 ("壹万贰仟叁佰肆拾伍元陆角柒分", "伍佰元整"), for certificates.
func UpperYuan(fen int64) string {
	if fen == 0 {
		return "零元整"
	}
	neg := fen < 0
	if neg {
		fen = -fen
	}
	digits := []rune("零壹贰叁肆伍陆柒捌玖")
	units := []string{"", "拾", "佰", "仟"}
	groups := []string{"", "万", "亿", "万亿"}
	yuan, jiao, f := fen/100, (fen/10)%10, fen%10
	var b strings.Builder
	if yuan > 0 {
		var parts []string
		for g := 0; yuan > 0; g++ {
			chunk := yuan % 10000
			yuan /= 10000
			if chunk == 0 {
				parts = append([]string{"零"}, parts...)
				continue
			}
			var s strings.Builder
			zero := false
			for i := 3; i >= 0; i-- {
				d := (chunk / pow10(i)) % 10
				if d == 0 {
					zero = s.Len() > 0
					continue
				}
				if zero {
					s.WriteRune('零')
					zero = false
				}
				s.WriteRune(digits[d])
				s.WriteString(units[i])
			}
			str := s.String() + groups[g]
			if chunk < 1000 && yuan > 0 {
				str = "零" + str
			}
			parts = append([]string{str}, parts...)
		}
		out := strings.Join(parts, "")
		for strings.Contains(out, "零零") {
			out = strings.ReplaceAll(out, "零零", "零")
		}
		out = strings.TrimSuffix(out, "零")
		b.WriteString(out)
		b.WriteString("元")
	}
	if jiao == 0 && f == 0 {
		b.WriteString("整")
	} else {
		if jiao > 0 {
			b.WriteRune(digits[jiao])
			b.WriteString("角")
		} else if b.Len() > 0 {
			b.WriteRune('零')
		}
		if f > 0 {
			b.WriteRune(digits[f])
			b.WriteString("分")
		}
	}
	if neg {
		return "负" + b.String()
	}
	return b.String()
}

func pow10(n int) int64 {
	p := int64(1)
	for ; n > 0; n-- {
		p *= 10
	}
	return p
}
