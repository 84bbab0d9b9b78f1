package reform

import (
	"fmt"
	"html"
	"html/template"
	"math"
	"strings"

	"nongfu/internal/indicator"
)

// Charts and maps are inline SVG written here (no script library, no CDN): they print, scale with the page and
// work on a phone.

// mapColours are the 5 classes of the choropleth (0 = none).
var mapColours = []string{"#eef1f4", "#d7ecd7", "#a5d6a7", "#5fae63", "#2f7d32"}

// sparkline draws a small line of a trend.
func sparkline(vals []float64) template.HTML {
	const w, h = 120.0, 28.0
	if len(vals) < 2 {
		return ""
	}
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, v := range vals {
		lo, hi = math.Min(lo, v), math.Max(hi, v)
	}
	if hi == lo {
		hi = lo + 1
	}
	var pts []string
	for i, v := range vals {
		x := float64(i) / float64(len(vals)-1) * w
		y := h - 2 - (v-lo)/(hi-lo)*(h-4)
		pts = append(pts, fmt.Sprintf("%.1f,%.1f", x, y))
	}
	return template.HTML(fmt.Sprintf(`<svg class="spark" viewBox="0 0 %g %g" preserveAspectRatio="none" role="img" aria-label="近12个月趋势"><polyline fill="none" stroke="#2f7d32" stroke-width="2" points="%s"/></svg>`,
		w, h, strings.Join(pts, " ")))
}

// monthChart draws the selected KPI by month as bars with the 2027 target as a dashed line.
func monthChart(k KPI, months []string, vals []float64) template.HTML {
	const w, h, left, bottom, top = 640.0, 240.0, 70.0, 28.0, 12.0
	hi := 0.0
	for _, v := range vals {
		hi = math.Max(hi, v)
	}
	target, hasTarget := k.Targets["2027"]
	if hasTarget && target > hi && target < hi*3 {
		hi = target
	}
	hi = niceCeil(hi)
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="chart" viewBox="0 0 %g %g" role="img" aria-label="%s 按月累计">`, w, h, html.EscapeString(k.Name))
	plotH := h - bottom - top
	for i := 0; i <= 4; i++ {
		y := top + plotH*float64(i)/4
		v := hi * float64(4-i) / 4
		fmt.Fprintf(&b, `<line x1="%g" y1="%.1f" x2="%g" y2="%.1f" stroke="#dde3e8"/><text x="%g" y="%.1f" text-anchor="end" font-size="11" fill="#66707a">%s</text>`,
			left, y, w-4, y, left-6, y+4, html.EscapeString(indicator.FormatValue(v, k.Format, "")))
	}
	bw := (w - left - 8) / float64(len(vals))
	for i, v := range vals {
		bh := v / hi * plotH
		x := left + float64(i)*bw + bw*0.15
		fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="#5fae63"><title>%s：%s</title></rect>`,
			x, top+plotH-bh, bw*0.7, bh, months[i], html.EscapeString(indicator.FormatValue(v, k.Format, k.Unit)))
		if i%2 == len(vals)%2 || len(vals) <= 6 {
			fmt.Fprintf(&b, `<text x="%.1f" y="%g" text-anchor="middle" font-size="11" fill="#66707a">%s</text>`, x+bw*0.35, h-8, months[i][2:])
		}
	}
	if hasTarget && target <= hi {
		y := top + plotH - target/hi*plotH
		fmt.Fprintf(&b, `<line x1="%g" y1="%.1f" x2="%g" y2="%.1f" stroke="#a15c00" stroke-dasharray="6 4"/><text x="%g" y="%.1f" text-anchor="end" font-size="11" fill="#a15c00">2027年目标</text>`,
			left, y, w-4, y, w-6, y-4)
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

// mapSVG draws the children's outlines coloured by class, each a link to its drill-down.
func mapSVG(cells []MapCell, link func(MapCell) string) template.HTML {
	if len(cells) == 0 {
		return ""
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="map" viewBox="0 0 %.0f %.0f" role="img" aria-label="下级区划示意图">`, cells[0].Box[0], cells[0].Box[1])
	for _, c := range cells {
		var pts []string
		for _, p := range c.Points {
			pts = append(pts, fmt.Sprintf("%d,%d", p[0], p[1]))
		}
		fmt.Fprintf(&b, `<a href="%s" data-code="%s"><polygon points="%s" fill="%s" stroke="#fff" stroke-width="2"><title>%s：%s</title></polygon>`,
			html.EscapeString(link(c)), c.Code, strings.Join(pts, " "), mapColours[c.Class], html.EscapeString(c.Name), html.EscapeString(c.Text))
		fmt.Fprintf(&b, `<circle cx="%d" cy="%d" r="2.5" fill="#1d2327"/><text x="%d" y="%d" font-size="12" text-anchor="middle" fill="#1d2327" class="map-label">%s</text></a>`,
			c.Seat[0], c.Seat[1], c.Seat[0], c.Seat[1]-5, html.EscapeString(c.Name))
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

// niceCeil rounds a chart's top up to 4 × (1, 2, 2.5 or 5 × 10^n), so the 4 gridlines fall on round numbers.
func niceCeil(v float64) float64 {
	if v <= 0 {
		return 4
	}
	step := v / 4
	mag := math.Pow(10, math.Floor(math.Log10(step)))
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		if m*mag >= step {
			step = m * mag
			break
		}
	}
	if step < 1 {
		step = 1 // counts: whole-number gridlines
	}
	return step * 4
}
