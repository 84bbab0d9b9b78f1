package market

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
)

// The matcher is pure: it scores one supply against one demand from plain values, so its rules can be tested on
// constructed cases and explained to users factor by factor. Weights sum to 100; the score is rounded to an int.

// Offer is one side of a pair to be scored.
type Offer struct {
	Product  string
	Grade    string // "" on a demand = any grade
	Quantity int64
	Unit     string
	PriceFen int64 // per unit; 0 = 面议
	From, To time.Time
	Lng, Lat float64 // 0, 0 = unknown
}

// Factor is one part of a match's score.
type Factor struct {
	Key    string  `json:"key"`
	Name   string  `json:"name"`
	Weight int     `json:"weight"`
	Score  float64 `json:"score" doc:"0–1"`
	Points float64 `json:"points" doc:"Score × Weight"`
	Note   string  `json:"note" doc:"中文说明"`
}

// Match is the score of a supply–demand pair.
type Match struct {
	Score      int      `json:"score" doc:"0–100"`
	Excluded   bool     `json:"excluded" doc:"品名或单位不可比时为真"`
	DistanceKm float64  `json:"distance_km"`
	Factors    []Factor `json:"factors"`
	Summary    string   `json:"summary"`
}

// Weights of the factors.
var weights = []struct {
	key, name string
	w         int
}{{"product", "品名", 25}, {"grade", "等级", 15}, {"window", "时间窗口", 20}, {"quantity", "数量", 15}, {"distance", "距离", 10}, {"price", "价格", 15}}

// massKg converts a mass unit to kilograms per unit; count units return 0.
func massKg(unit string) float64 {
	switch unit {
	case "公斤", "千克", "kg":
		return 1
	case "斤":
		return 0.5
	case "吨", "t":
		return 1000
	}
	return 0
}

// unitFactor reports whether quantities in units a and b can be compared, and how many a one b is.
func unitFactor(a, b string) (float64, bool) {
	if a == b {
		return 1, true
	}
	ka, kb := massKg(a), massKg(b)
	if ka == 0 || kb == 0 {
		return 0, false
	}
	return kb / ka, true
}

// normProduct drops the county and brand words that do not change the product (巫山脆李 = 脆李).
func normProduct(p string) string {
	p = strings.TrimSpace(p)
	for _, w := range []string{"巫山", "重庆"} {
		p = strings.TrimPrefix(p, w)
	}
	return p
}

// GreatCircleKm is the distance between two points on the sphere (haversine, mean Earth radius).
func GreatCircleKm(lng1, lat1, lng2, lat2 float64) float64 {
	const r = 6371.0088
	rad := math.Pi / 180
	dLat, dLng := (lat2-lat1)*rad, (lng2-lng1)*rad
	a := math.Sin(dLat/2)*math.Sin(dLat/2) + math.Cos(lat1*rad)*math.Cos(lat2*rad)*math.Sin(dLng/2)*math.Sin(dLng/2)
	return 2 * r * math.Asin(math.Min(1, math.Sqrt(a)))
}

func gradeRank(g string) int { return slices.Index(Grades, g) }

func yuan(fen int64) string {
	if fen%100 == 0 {
		return fmt.Sprintf("%d 元", fen/100)
	}
	return fmt.Sprintf("%.2f 元", float64(fen)/100)
}

// Score rates supply s against demand d.
func Score(s, d Offer) Match {
	m := Match{}
	add := func(i int, score float64, note string) {
		w := weights[i]
		score = math.Max(0, math.Min(1, score))
		m.Factors = append(m.Factors, Factor{Key: w.key, Name: w.name, Weight: w.w, Score: math.Round(score*100) / 100,
			Points: math.Round(score*float64(w.w)*10) / 10, Note: note})
	}
	// product
	ps, pd := normProduct(s.Product), normProduct(d.Product)
	switch {
	case ps == pd && ps != "":
		add(0, 1, "品名一致："+s.Product)
	case ps != "" && pd != "" && (strings.Contains(ps, pd) || strings.Contains(pd, ps)):
		add(0, 0.7, fmt.Sprintf("品名相近：供应“%s”，求购“%s”", s.Product, d.Product))
	default:
		add(0, 0, fmt.Sprintf("品名不同：供应“%s”，求购“%s”", s.Product, d.Product))
		m.Excluded = true
	}
	// grade
	rs, rd := gradeRank(s.Grade), gradeRank(d.Grade)
	switch {
	case d.Grade == "":
		add(1, 1, "求购不限等级")
	case s.Grade == d.Grade:
		add(1, 1, "等级一致："+s.Grade)
	case rs >= 0 && rd >= 0 && rs < rd:
		add(1, 0.8, fmt.Sprintf("供应等级（%s）高于要求（%s）", s.Grade, d.Grade))
	case rs >= 0 && rd >= 0:
		add(1, math.Max(0, 0.5-0.2*float64(rs-rd-1)), fmt.Sprintf("供应等级（%s）低于要求（%s）", s.Grade, d.Grade))
	default:
		add(1, 0.3, fmt.Sprintf("等级不可比：供应“%s”，求购“%s”", s.Grade, d.Grade))
	}
	// window: share of the demand window the supply covers
	days := func(a, b time.Time) float64 { return math.Floor(b.Sub(a).Hours()/24) + 1 }
	lo, hi := s.From, s.To
	if d.From.After(lo) {
		lo = d.From
	}
	if d.To.Before(hi) {
		hi = d.To
	}
	if !hi.Before(lo) {
		ov, dw := days(lo, hi), days(d.From, d.To)
		add(2, ov/dw, fmt.Sprintf("供应期与收货期重叠 %.0f 天（收货期 %.0f 天）", ov, dw))
	} else {
		gap := d.From.Sub(s.To)
		if s.From.After(d.To) {
			gap = s.From.Sub(d.To)
		}
		g := math.Ceil(gap.Hours() / 24)
		add(2, 0, fmt.Sprintf("供应期与收货期不重叠，相差 %.0f 天", g))
	}
	// quantity, in the demand's unit
	if f, ok := unitFactor(d.Unit, s.Unit); ok && d.Quantity > 0 && s.Quantity > 0 {
		sq := float64(s.Quantity) * f
		dq := float64(d.Quantity)
		switch {
		case sq >= dq:
			add(3, 1, fmt.Sprintf("供应量 %s 满足求购量 %s", qty(sq, d.Unit), qty(dq, d.Unit)))
		default:
			add(3, sq/dq, fmt.Sprintf("供应量 %s 可满足求购量 %s 的 %.0f%%", qty(sq, d.Unit), qty(dq, d.Unit), 100*sq/dq))
		}
	} else {
		add(3, 0, fmt.Sprintf("计量单位不可比：供应“%s”，求购“%s”", s.Unit, d.Unit))
		m.Excluded = true
	}
	// distance: full marks within 20 km (same township), none beyond 500 km
	if (s.Lng != 0 || s.Lat != 0) && (d.Lng != 0 || d.Lat != 0) {
		km := GreatCircleKm(s.Lng, s.Lat, d.Lng, d.Lat)
		m.DistanceKm = math.Round(km*10) / 10
		sc := 1.0
		if km > 20 {
			sc = 1 - (km-20)/480
		}
		add(4, sc, fmt.Sprintf("直线距离约 %.1f 公里", km))
	} else {
		add(4, 0.5, "位置不详，按中等距离计")
	}
	// price, per the demand's unit
	switch {
	case s.PriceFen == 0 || d.PriceFen == 0:
		add(5, 0.7, "价格面议")
	default:
		f, _ := unitFactor(d.Unit, s.Unit) // supply price per its unit → per demand unit
		sp := float64(s.PriceFen)
		if f > 0 {
			sp = sp / f
		}
		dp := float64(d.PriceFen)
		if dp >= sp {
			add(5, 1, fmt.Sprintf("求购出价 %s/%s 不低于供应报价 %s/%s", yuan(d.PriceFen), d.Unit, yuan(int64(math.Round(sp))), d.Unit))
		} else {
			gap := (sp - dp) / sp
			add(5, 1-2*gap, fmt.Sprintf("求购出价低于供应报价 %.0f%%（%s 对 %s /%s）", 100*gap, yuan(d.PriceFen), yuan(int64(math.Round(sp))), d.Unit))
		}
	}
	total := 0.0
	for _, f := range m.Factors {
		total += f.Points
	}
	m.Score = int(math.Round(total))
	if m.Excluded {
		m.Score = 0
	}
	var parts []string
	for _, f := range m.Factors {
		parts = append(parts, fmt.Sprintf("%s %.0f/%d", f.Name, f.Points, f.Weight))
	}
	m.Summary = fmt.Sprintf("综合 %d 分（%s）", m.Score, strings.Join(parts, "，"))
	return m
}

func qty(v float64, unit string) string {
	if v == math.Trunc(v) {
		return fmt.Sprintf("%.0f %s", v, unit)
	}
	return fmt.Sprintf("%.1f %s", v, unit)
}
