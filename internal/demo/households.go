package demo

import (
	"math"

	"nongfu/internal/registry"
)

// household is one generated 农户 with members and plots, ready to write.
type household struct {
	in      registry.SubjectInput
	members []registry.MemberInput
	plots   []registry.PlotInput
	town    string
	id      int64
}

const (
	latestBirthYear = 2023 // children born up to here
	earliestBirth   = 1925
)

func clamp(x, lo, hi int) int { return max(lo, min(hi, x)) }

// household makes a household in village v.
func (p *plan) household(g *gen, v *village) household {
	r := g.r
	year := between(r, 1945, 2000)
	male := r.Float64() < 0.88
	head := g.newPerson("", year, male, true)

	main := g.industry(v.town.Name)
	inds := []string{main}
	if r.Float64() < 0.3 {
		if second := g.industry(v.town.Name); second != main {
			inds = append(inds, second)
		}
	}

	// plots first: the household's scale is the sum of its plots
	nPlots := pick(r, []weighted[int]{{1, 35}, {2, 40}, {3, 25}})
	totalMu := 1 + 14*math.Pow(r.Float64(), 1.6)
	shares := make([]float64, nPlots)
	var sum float64
	for i := range shares {
		shares[i] = 0.3 + r.Float64()
		sum += shares[i]
	}
	lng, lat := g.jitter(v.Lng, v.Lat, 0.006)
	names := r.Perm(len(plotNames))
	var scale float64
	plots := make([]registry.PlotInput, nPlots)
	for i := range plots {
		area := math.Max(0.2, round1(totalMu*shares[i]/sum))
		scale += area
		crop := main
		switch x := r.Float64(); {
		case i == 0 || x < 0.5:
		case x < 0.75 && len(inds) > 1:
			crop = inds[1]
		default:
			crop = "粮油" // the family's maize, potatoes and sweet potatoes
		}
		if crop == "畜禽" {
			crop = "粮油" // fields of livestock households grow feed maize
		}
		pl := registry.PlotInput{RegionCode: v.Code, Name: plotNames[names[i]], Crop: crop, AreaMu: ptr(area)}
		if r.Float64() < 0.3 {
			plng, plat := g.jitter(lng, lat, 0.002)
			pl.Polygon = g.polygon(plng, plat, area)
		}
		plots[i] = pl
	}

	h := household{town: v.town.Code, plots: plots}
	h.in = registry.SubjectInput{
		Kind:       ptr("household"),
		Name:       ptr(head.name),
		LegalRep:   ptr(head.name),
		IDNumber:   ptr(head.id),
		Phone:      ptr(head.phone),
		RegionCode: ptr(v.Code),
		Address:    ptr(v.FullName + itoa(between(r, 1, 9)) + "组"),
		Industries: ptr(inds),
		ScaleMu:    ptr(round1(scale)),
		Lng:        ptr(lng),
		Lat:        ptr(lat),
	}
	if main == "畜禽" {
		h.in.ScaleHead = ptr(int64(between(r, 5, 120)))
	}
	h.members = p.family(g, head, year)
	return h
}

// family makes 1–4 members of the head's household: spouse, children, a parent.
func (p *plan) family(g *gen, head person, year int) []registry.MemberInput {
	r := g.r
	var out []registry.MemberInput
	add := func(rel string, q person) {
		out = append(out, registry.MemberInput{Name: q.name, Relation: rel, IDNumber: q.id, Phone: q.phone})
	}
	father := head.family // children take the father's surname
	if r.Float64() < 0.85 {
		sy := clamp(year+int(math.Round(r.NormFloat64()*3))+map[bool]int{true: 2, false: -2}[head.male], 1940, 2002)
		spouse := g.newPerson("", sy, !head.male, r.Float64() < 0.6)
		if !head.male {
			father = spouse.family
		}
		add("配偶", spouse)
	}
	nKids := pick(r, []weighted[int]{{0, 10}, {1, 40}, {2, 40}, {3, 10}})
	ky := year + between(r, 22, 32)
	for range nKids {
		if ky > latestBirthYear || len(out) >= 4 {
			break
		}
		add("子女", g.newPerson(father, ky, r.IntN(2) == 0, ky <= 2005 && r.Float64() < 0.6))
		ky += between(r, 2, 6)
	}
	if len(out) < 4 && year >= 1965 && r.Float64() < 0.35 {
		py := clamp(year-between(r, 22, 32), earliestBirth, 1980)
		pm := r.IntN(2) == 0
		fam := ""
		if pm && head.male {
			fam = head.family
		}
		add("父母", g.newPerson(fam, py, pm, false))
	}
	if len(out) == 0 { // every household has at least one member besides the head
		if year+22 <= latestBirthYear {
			add("子女", g.newPerson(father, min(latestBirthYear, year+between(r, 22, 32)), r.IntN(2) == 0, false))
		} else {
			add("配偶", g.newPerson("", clamp(year+between(r, -3, 3), 1940, 2002), !head.male, false))
		}
	}
	return out
}
