package reform

import (
	"math"
	"sort"
)

// Outlines of townships (and of villages inside a township) made from their seat coordinates: no boundary data
// ships with the platform and no online tile service may be used, so each region's outline is its Voronoi cell
// (the points nearer to its seat than to any sibling's seat) clipped to the convex hull of every seat below the
// parent, widened by a margin. It is a schematic map — neighbours touch where they really are neighbours and areas
// are roughly right for evenly spread seats — and it is documented as such on the page.

type pt struct{ X, Y float64 }

// project turns lng/lat into a plane (equirectangular, x scaled by cos of the mean latitude).
func project(lng, lat, lat0 float64) pt {
	return pt{X: lng * math.Cos(lat0*math.Pi/180), Y: -lat}
}

// hull is the convex hull of points (Andrew's monotone chain), counter-clockwise.
func hull(ps []pt) []pt {
	ps = append([]pt(nil), ps...)
	sort.Slice(ps, func(i, j int) bool { return ps[i].X < ps[j].X || (ps[i].X == ps[j].X && ps[i].Y < ps[j].Y) })
	if len(ps) < 3 {
		return ps
	}
	cross := func(o, a, b pt) float64 { return (a.X-o.X)*(b.Y-o.Y) - (a.Y-o.Y)*(b.X-o.X) }
	var h []pt
	for _, p := range ps {
		for len(h) >= 2 && cross(h[len(h)-2], h[len(h)-1], p) <= 0 {
			h = h[:len(h)-1]
		}
		h = append(h, p)
	}
	lower := len(h) + 1
	for i := len(ps) - 2; i >= 0; i-- {
		for len(h) >= lower && cross(h[len(h)-2], h[len(h)-1], ps[i]) <= 0 {
			h = h[:len(h)-1]
		}
		h = append(h, ps[i])
	}
	return h[:len(h)-1]
}

// grow pushes a convex polygon out from its centroid by margin.
func grow(poly []pt, margin float64) []pt {
	var c pt
	for _, p := range poly {
		c.X += p.X / float64(len(poly))
		c.Y += p.Y / float64(len(poly))
	}
	out := make([]pt, len(poly))
	for i, p := range poly {
		dx, dy := p.X-c.X, p.Y-c.Y
		d := math.Hypot(dx, dy)
		if d == 0 {
			out[i] = p
			continue
		}
		out[i] = pt{p.X + dx/d*margin, p.Y + dy/d*margin}
	}
	return out
}

// clip keeps the part of a convex polygon on a's side of the perpendicular bisector of a and b.
func clip(poly []pt, a, b pt) []pt {
	// inside: (p - m)·(b - a) <= 0 where m is the midpoint
	m := pt{(a.X + b.X) / 2, (a.Y + b.Y) / 2}
	n := pt{b.X - a.X, b.Y - a.Y}
	side := func(p pt) float64 { return (p.X-m.X)*n.X + (p.Y-m.Y)*n.Y }
	var out []pt
	for i := range poly {
		p, q := poly[i], poly[(i+1)%len(poly)]
		sp, sq := side(p), side(q)
		if sp <= 0 {
			out = append(out, p)
		}
		if (sp < 0 && sq > 0) || (sp > 0 && sq < 0) {
			t := sp / (sp - sq)
			out = append(out, pt{p.X + t*(q.X-p.X), p.Y + t*(q.Y-p.Y)})
		}
	}
	return out
}

// voronoi returns each seat's cell inside the bounding polygon.
func voronoi(seats []pt, bound []pt) [][]pt {
	cells := make([][]pt, len(seats))
	for i, a := range seats {
		cell := bound
		for j, b := range seats {
			if i == j || (a == b) {
				continue
			}
			cell = clip(cell, a, b)
			if len(cell) == 0 {
				break
			}
		}
		cells[i] = cell
	}
	return cells
}

// frame maps plane points into an SVG box of width w (height follows the aspect), with padding.
type frame struct {
	minX, minY, scale, pad float64
	W, H                   float64
}

func newFrame(ps []pt, w, pad float64) frame {
	minX, minY, maxX, maxY := math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
	for _, p := range ps {
		minX, minY, maxX, maxY = math.Min(minX, p.X), math.Min(minY, p.Y), math.Max(maxX, p.X), math.Max(maxY, p.Y)
	}
	dx, dy := maxX-minX, maxY-minY
	if dx <= 0 {
		dx = 1e-3
	}
	if dy <= 0 {
		dy = 1e-3
	}
	s := (w - 2*pad) / dx
	return frame{minX: minX, minY: minY, scale: s, pad: pad, W: w, H: dy*s + 2*pad}
}

func (f frame) at(p pt) pt { return pt{f.pad + (p.X-f.minX)*f.scale, f.pad + (p.Y-f.minY)*f.scale} }
