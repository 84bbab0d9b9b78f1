package demo

import (
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"nongfu/internal/region"
	"nongfu/internal/registry"
	"nongfu/internal/validate"
)

// weighted is an item with a relative weight.
type weighted[T any] struct {
	item   T
	weight float64
}

// pick chooses an item with probability proportional to its weight.
func pick[T any](r *rand.Rand, items []weighted[T]) T {
	var total float64
	for _, w := range items {
		total += w.weight
	}
	x := r.Float64() * total
	for _, w := range items {
		if x < w.weight {
			return w.item
		}
		x -= w.weight
	}
	return items[len(items)-1].item
}

func oneOf[T any](r *rand.Rand, l []T) T { return l[r.IntN(len(l))] }

// between returns an int in [lo, hi].
func between(r *rand.Rand, lo, hi int) int { return lo + r.IntN(hi-lo+1) }

// gen makes deterministic synthetic data for one county; the sets keep ID numbers, phones, credit codes and names
// unique (phones across counties: the other three carry the county's code or name).
type gen struct {
	r          *rand.Rand
	county     string // 6-digit county code: the first digits of ID numbers
	countyName string // the county's name, which organisation names start with
	ids        map[string]bool
	phones     map[string]bool
	codes      map[string]bool
	names      map[string]bool
}

// newGen returns the generator of 巫山县.
func newGen(seed int64) *gen {
	return &gen{
		r:          rand.New(rand.NewPCG(uint64(seed), uint64(seed)^0x6e6f6e676675)),
		county:     wushanCode[:6],
		countyName: "巫山县",
		ids:        map[string]bool{},
		phones:     map[string]bool{},
		codes:      map[string]bool{},
		names:      map[string]bool{},
	}
}

// forCounty returns a generator for another county: its random stream depends only on the seed and the county
// code (so a county's data does not depend on which others are loaded), and it shares g's phone numbers.
func (g *gen) forCounty(seed int64, c *region.Region) *gen {
	h := fnv.New64a()
	h.Write([]byte(c.Code))
	k := h.Sum64()
	return &gen{
		r:          rand.New(rand.NewPCG(uint64(seed)^k, uint64(seed)^0x6e6f6e676675^(k>>1))),
		county:     region.County(c.Code),
		countyName: c.Name,
		ids:        map[string]bool{},
		phones:     g.phones,
		codes:      map[string]bool{},
		names:      map[string]bool{},
	}
}

// person is a synthetic individual.
type person struct {
	name   string
	male   bool
	birth  time.Time
	id     string
	phone  string
	family string // surname
}

// given makes a 1–2 character given name fitting the birth year and gender.
func (g *gen) given(year int, male bool) string {
	var pool []rune
	switch {
	case year < 1975 && male:
		pool = givenOldMale
	case year < 1975:
		pool = givenOldFemale
	case year < 1995 && male:
		pool = givenMidMale
	case year < 1995:
		pool = givenMidFemale
	case male:
		pool = givenYoungMale
	default:
		pool = givenYoungFemale
	}
	a := pool[g.r.IntN(len(pool))]
	if g.r.IntN(10) < 3 {
		return string(a)
	}
	b := pool[g.r.IntN(len(pool))]
	for b == a {
		b = pool[g.r.IntN(len(pool))]
	}
	return string([]rune{a, b})
}

// birthIn returns a random date in year.
func (g *gen) birthIn(year int) time.Time {
	return time.Date(year, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, g.r.IntN(365))
}

// idNumber makes a unique, valid 18-digit ID number of g's county for a birth date and gender.
func (g *gen) idNumber(birth time.Time, male bool) string {
	for {
		seq := g.r.IntN(500) * 2 // even: female
		if male {
			seq++
		}
		first := fmt.Sprintf("%s%s%03d", g.county, birth.Format("20060102"), seq)
		c, err := validate.IDNumberCheckChar(first)
		if err != nil {
			panic(err) // cannot happen: 17 digits
		}
		id := first + string(c)
		if !g.ids[id] {
			g.ids[id] = true
			return id
		}
	}
}

var mobilePrefixes = []string{"130", "131", "132", "133", "134", "135", "136", "137", "138", "139",
	"150", "151", "152", "153", "155", "156", "157", "158", "159", "180", "181", "182", "183", "184", "185", "186", "187", "188", "189"}

// phone makes a unique mobile number.
func (g *gen) phone() string {
	for {
		p := oneOf(g.r, mobilePrefixes) + fmt.Sprintf("%08d", g.r.IntN(100000000))
		if !g.phones[p] {
			g.phones[p] = true
			return p
		}
	}
}

const creditAlphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"

// creditCode makes a unique, valid unified social credit code starting with prefix (8 characters: 登记管理部门,
// 机构类别 and the county code), e.g. "93500237" for a cooperative.
func (g *gen) creditCode(prefix string) string {
	for {
		var b strings.Builder
		b.WriteString(prefix)
		if prefix[0] == '9' {
			b.WriteString("MA") // codes issued by market regulation since 2015 start their body with MA
		}
		for b.Len() < 17 {
			b.WriteByte(creditAlphabet[g.r.IntN(len(creditAlphabet))])
		}
		c, err := validate.CreditCodeCheckChar(b.String())
		if err != nil {
			panic(err)
		}
		code := b.String() + string(c)
		if !g.codes[code] {
			g.codes[code] = true
			return code
		}
	}
}

// newPerson makes a person born in year (clamped to a valid range).
func (g *gen) newPerson(family string, year int, male, withPhone bool) person {
	if family == "" {
		family = pick(g.r, surnames)
	}
	p := person{family: family, male: male, birth: g.birthIn(year)}
	p.name = family + g.given(year, male)
	p.id = g.idNumber(p.birth, male)
	if withPhone {
		p.phone = g.phone()
	}
	return p
}

// uniqueName returns the first of the candidates made by f that is not taken yet, adding a number after too many
// tries.
func (g *gen) uniqueName(f func() string) string {
	for i := 0; i < 20; i++ {
		n := f()
		if !g.names[n] {
			g.names[n] = true
			return n
		}
	}
	// registered names tell same-place organisations apart with a trade word (字号), not a number
	base := f()
	words := []string{"众兴", "鑫源", "丰泽", "惠农", "绿源", "金穗", "益民", "宏发", "春晖", "康达", "祥和", "瑞丰"}
	for i := 0; ; i++ {
		w := strconv.Itoa(i - len(words) + 2)
		if i < len(words) {
			w = words[i]
		}
		n := strings.Replace(base, g.countyName, g.countyName+w, 1)
		if !strings.Contains(base, g.countyName) {
			n = w + base
		}
		if !g.names[n] {
			g.names[n] = true
			return n
		}
	}
}

// industry picks a household industry for a township.
func (g *gen) industry(townshipName string) string {
	bias := map[string]float64(nil)
	if riverTownships[townshipName] {
		bias = riverBias
	} else if highTownships[townshipName] {
		bias = highBias
	}
	items := make([]weighted[string], len(industryWeights))
	for i, w := range industryWeights {
		items[i] = w
		if m, ok := bias[w.item]; ok {
			items[i].weight *= m
		}
	}
	return pick(g.r, items)
}

// date returns a random YYYY-MM-DD in [fromYear, toYear].
func (g *gen) date(fromYear, toYear int) string {
	return g.birthIn(between(g.r, fromYear, toYear)).Format("2006-01-02")
}

// jitter offsets a coordinate pair by about sigma degrees.
func (g *gen) jitter(lng, lat, sigma float64) (float64, float64) {
	return round6(lng + g.r.NormFloat64()*sigma), round6(lat + g.r.NormFloat64()*sigma)
}

func round6(x float64) float64 { return math.Round(x*1e6) / 1e6 }

func round1(x float64) float64 { return math.Round(x*10) / 10 }

// polygon makes an irregular GeoJSON polygon of about areaMu 亩 centred at lng, lat, using the same local
// projection as registry.PolygonArea.
func (g *gen) polygon(lng, lat, areaMu float64) string {
	n := between(g.r, 5, 7)
	const earth = 6371008.8
	kx := math.Pi / 180 * earth * math.Cos(lat*math.Pi/180)
	ky := math.Pi / 180 * earth
	type pt struct{ x, y float64 }
	pts := make([]pt, n)
	rot := g.r.Float64() * 2 * math.Pi
	stretch := 0.7 + g.r.Float64()*0.6 // fields are longer than wide
	for i := range pts {
		a := rot + (float64(i)+0.3*(g.r.Float64()-0.5))*2*math.Pi/float64(n)
		rad := 0.8 + g.r.Float64()*0.4
		pts[i] = pt{rad * math.Cos(a) * stretch, rad * math.Sin(a) / stretch}
	}
	var a2 float64
	for i := range pts {
		j := (i + 1) % n
		a2 += pts[i].x*pts[j].y - pts[j].x*pts[i].y
	}
	unit := math.Abs(a2) / 2
	// scale to the target area (in m²), give or take a few percent as a survey would
	target := areaMu * registry.SquareMetresPerMu * (0.97 + g.r.Float64()*0.06)
	k := math.Sqrt(target / unit)
	var b strings.Builder
	b.WriteString(`{"type":"Polygon","coordinates":[[`)
	for i := 0; i <= n; i++ {
		p := pts[i%n]
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, "[%.7f,%.7f]", lng+p.x*k/kx, lat+p.y*k/ky)
	}
	b.WriteString(`]]}`)
	return b.String()
}

// short strips the administrative suffix from a place name: 骡坪镇 → 骡坪, 七星村 → 七星, 红椿土家族乡 → 红椿.
func short(name string) string {
	for _, suf := range []string{"土家族乡", "街道", "社区", "镇", "乡", "村"} {
		if s, ok := strings.CutSuffix(name, suf); ok && s != "" {
			return s
		}
	}
	return name
}
