// Package indicator is a DHIS2-style indicator engine, pure of any room: rooms (or the app, through adapters over
// their Go APIs) register data sources at start; an indicator is configuration — an aggregation over one source
// (its value) or the ratio of two (numerator / denominator × 100 for %), with a unit, a display format and a source
// filter — evaluated for any node of the region tree (rolled up by code prefix) and any period. Targets are
// first-class: indicator × region × year → target value.
package indicator

import (
	"context"
	"math"
	"nongfu/internal/platform/web"
	"strconv"
	"strings"
	"time"

	"nongfu/internal/platform/auth"
)

// Query is what a source is asked for.
type Query struct {
	RegionPrefix string            // any node of the region tree as a code prefix ("500237", "500237100"); "" = everywhere
	From, To     time.Time         // half-open period [From, To); zero = open
	Filter       map[string]string // source-specific filter (e.g. kind=service_coop, level=township)
}

// Source is a data source a room registers: one number for a region prefix, period and filter. Sources must be
// safe for concurrent use (the engine queries them concurrently for dashboards).
type Source interface {
	Key() string
	Name() string
	Value(ctx context.Context, q Query) (float64, error)
}

// BatchSource is a source that answers many region prefixes in one pass (one list, grouped), which dashboards
// of KPIs × townships use instead of one query per cell.
type BatchSource interface {
	Source
	Values(ctx context.Context, q Query, prefixes []string) ([]float64, error)
}

// Aggregations.
const (
	AggValue = "value" // the source's value
	AggRatio = "ratio" // source / denominator × 100 (unit %)
)

// Units an indicator may have.
var Units = []string{"个", "家", "人", "亩次", "元", "万元", "亿元", "%"}

// Formats.
const (
	FormatInt     = "int"     // 1,234
	FormatDecimal = "decimal" // 1,234.5
	FormatPercent = "percent" // 12.3%
	FormatWan     = "wan"     // value in 元 shown as 万元
	FormatYi      = "yi"      // value in 元 shown as 亿元
)

// Formats lists the display formats.
var Formats = []string{FormatInt, FormatDecimal, FormatPercent, FormatWan, FormatYi}

// Indicator is one configured indicator.
type Indicator struct {
	Key         string            `json:"key" doc:"英文标识，如 federations"`
	Name        string            `json:"name"`
	Unit        string            `json:"unit" doc:"个、家、人、亩次、元、万元、亿元、%"`
	Format      string            `json:"format" doc:"int、decimal、percent、wan（元显示为万元）、yi（元显示为亿元）"`
	Aggregation string            `json:"aggregation" doc:"value 数据源取值 / ratio 两个数据源之比×100"`
	Source      string            `json:"source" doc:"数据源（分子）"`
	Denominator string            `json:"denominator" doc:"ratio 的分母数据源"`
	Filter      map[string]string `json:"filter" doc:"数据源筛选条件，如 {\"kind\":\"service_coop\"}"`
	Description string            `json:"description"`
	// Fallback is a registered stand-in source used while Source is not registered (with FallbackFilter).
	Fallback       string            `json:"fallback,omitempty" doc:"代用数据源：首选数据源未注册时使用"`
	FallbackFilter map[string]string `json:"fallback_filter,omitempty"`
	CreatedAt      time.Time         `json:"created_at"`
	UpdatedAt      time.Time         `json:"updated_at"`
}

// Target is a target value of an indicator for a region and a year.
type Target struct {
	IndicatorKey string  `json:"indicator_key"`
	RegionCode   string  `json:"region_code" doc:"12位区划代码"`
	Year         int     `json:"year"`
	Value        float64 `json:"value"`
	Note         string  `json:"note"`
}

// Period is a half-open time range; the zero Period is all time.
type Period struct {
	From, To time.Time
}

// Year is the calendar year y in Asia/Shanghai.
func Year(y int) Period {
	return Period{From: time.Date(y, 1, 1, 0, 0, 0, 0, web.Shanghai), To: time.Date(y+1, 1, 1, 0, 0, 0, 0, web.Shanghai)}
}

// Quarter is quarter q (1–4) of year y.
func Quarter(y, q int) Period {
	from := time.Date(y, time.Month(3*(q-1)+1), 1, 0, 0, 0, 0, web.Shanghai)
	return Period{From: from, To: from.AddDate(0, 3, 0)}
}

// Month is month m of year y.
func Month(y int, m time.Month) Period {
	from := time.Date(y, m, 1, 0, 0, 0, 0, web.Shanghai)
	return Period{From: from, To: from.AddDate(0, 1, 0)}
}

// Prefix turns a region code into the prefix its descendants share: 500237000000 → 500237. Prefixes and "" are
// returned as they are.
func Prefix(region string) string { return auth.RegionPrefix(region) }

// FormatValue shows v as the indicator's format and unit.
func (x Indicator) FormatValue(v float64) string { return FormatValue(v, x.Format, x.Unit) }

// FormatValue shows v in format with unit: 1,234个, 1.50亿元, 12.3%.
func FormatValue(v float64, format, unit string) string {
	switch format {
	case FormatPercent:
		return strconv.FormatFloat(v, 'f', 1, 64) + "%"
	case FormatWan:
		return trim(strconv.FormatFloat(v/1e4, 'f', 2, 64)) + "万元"
	case FormatYi:
		return trim(strconv.FormatFloat(v/1e8, 'f', 2, 64)) + "亿元"
	case FormatDecimal:
		return group(strconv.FormatFloat(v, 'f', 1, 64)) + unit
	}
	return group(strconv.FormatFloat(math.Round(v), 'f', 0, 64)) + unit
}

func trim(s string) string {
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	return s
}

// group writes thousands separators into a formatted number.
func group(s string) string {
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	intPart, frac, hasFrac := strings.Cut(s, ".")
	var b strings.Builder
	for i, c := range intPart {
		if i > 0 && (len(intPart)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	out := b.String()
	if hasFrac {
		out += "." + frac
	}
	if neg {
		out = "-" + out
	}
	return out
}
