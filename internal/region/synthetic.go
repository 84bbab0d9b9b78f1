package region

import (
	"context"
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"

	"nongfu/internal/platform/db"
)

// The other 37 counties of 重庆市 (巫山县 is in the embedded data file), for province-scale demos. Their codes,
// names and parents (市辖区 500100 or 县 500200) are the real 统计用区划代码 ones, the coordinates are the approximate
// location of each county seat, and everything below them (乡镇/街道 and 村/社区) is made up: see
// data/README.md.

// Parent nodes of the synthetic counties.
const (
	chongqingCode = "500000000000"
	districtsCode = "500100000000" // 市辖区: the 26 districts
	countiesCode  = "500200000000" // 县: the 12 counties, 巫山县 among them
)

// syntheticCounty is one county-level unit with its seat's approximate location.
type syntheticCounty struct {
	code     string // 6 digits
	name     string
	lng, lat float64
}

// syntheticCounties is the order in which AddSyntheticCounties adds counties: first the rural 县 (closest to
// 巫山县's farming), then the outer districts, and the six central urban districts last.
var syntheticCounties = []syntheticCounty{
	{"500229", "城口县", 108.66, 31.95},
	{"500230", "丰都县", 107.73, 29.86},
	{"500231", "垫江县", 107.35, 30.33},
	{"500233", "忠县", 108.04, 30.30},
	{"500235", "云阳县", 108.70, 30.93},
	{"500236", "奉节县", 109.46, 31.02},
	{"500238", "巫溪县", 109.63, 31.40},
	{"500240", "石柱土家族自治县", 108.11, 30.00},
	{"500241", "秀山土家族苗族自治县", 108.99, 28.45},
	{"500242", "酉阳土家族苗族自治县", 108.77, 28.84},
	{"500243", "彭水苗族土家族自治县", 108.17, 29.29},
	{"500101", "万州区", 108.41, 30.81},
	{"500102", "涪陵区", 107.39, 29.70},
	{"500109", "北碚区", 106.40, 29.81},
	{"500110", "綦江区", 106.65, 29.03},
	{"500111", "大足区", 105.72, 29.71},
	{"500112", "渝北区", 106.63, 29.72},
	{"500113", "巴南区", 106.54, 29.40},
	{"500114", "黔江区", 108.77, 29.53},
	{"500115", "长寿区", 107.08, 29.86},
	{"500116", "江津区", 106.26, 29.29},
	{"500117", "合川区", 106.28, 29.97},
	{"500118", "永川区", 105.93, 29.36},
	{"500119", "南川区", 107.10, 29.16},
	{"500120", "璧山区", 106.23, 29.59},
	{"500151", "铜梁区", 106.06, 29.84},
	{"500152", "潼南区", 105.84, 30.19},
	{"500153", "荣昌区", 105.59, 29.40},
	{"500154", "开州区", 108.39, 31.16},
	{"500155", "梁平区", 107.80, 30.67},
	{"500156", "武隆区", 107.76, 29.33},
	{"500103", "渝中区", 106.57, 29.55},
	{"500104", "大渡口区", 106.48, 29.48},
	{"500105", "江北区", 106.57, 29.61},
	{"500106", "沙坪坝区", 106.46, 29.54},
	{"500107", "九龙坡区", 106.51, 29.50},
	{"500108", "南岸区", 106.56, 29.52},
}

// MaxSyntheticCounties is how many counties AddSyntheticCounties can add: every county-level unit of 重庆市 but
// 巫山县. With 巫山县 that makes 38, about a province.
var MaxSyntheticCounties = len(syntheticCounties)

// Chongqing's bounding box: synthetic coordinates are clamped to it.
const (
	cqMinLng, cqMaxLng = 105.30, 110.20
	cqMinLat, cqMaxLat = 28.20, 32.20
)

// Stems of synthetic township names (two characters from each list) and village names.
var (
	townStemA = []rune("龙石新太永安长白清双三金高平兴凤桃黄青宝")
	townStemB = []rune("兴场坝溪河桥山丰安平田阳水岩池江")
	villStemA = []rune("石龙白黄青新马鹿桃柏杨松金银凤双三大小高长红花竹梨茶狮云水柳")
	villStemB = []rune("坪湾垭槽坝溪沟岭河桥塘坡园山台林峰岩池庙")
)

// wushanStems are the names of 巫山县's townships without 街道/镇/乡: synthetic townships do not reuse them, so
// that a township name typed in a 巫山县 import (龙溪, 龙溪镇) still finds 巫山县's.
var wushanStems = func() map[string]bool {
	out := map[string]bool{}
	rows, _ := parseTSV(wushanTSV)
	for _, r := range rows {
		if r.Level == LevelTownship {
			n := r.Name
			for _, suf := range []string{"土家族乡", "街道", "镇", "乡"} {
				n = strings.TrimSuffix(n, suf)
			}
			out[n] = true
		}
	}
	return out
}()

// isDistrict says whether a 6-digit county code is one of the 市辖区.
func isDistrict(code string) bool { return code[:4] == "5001" }

// AddSyntheticCounties makes sure the first n counties of 重庆市 other than 巫山县 (in a fixed order: the rural
// 县 first, the central urban districts last) are in the tree, and returns them in that order. n is capped at
// MaxSyntheticCounties (37). A county whose row is already in the table is kept as it is (nothing is added
// below it), so calling again with the same n adds nothing. Missing parents (重庆市, 市辖区, 县) are added.
//
// The counties' codes and names are real; their 乡镇/街道 (20–30 each) and 村/社区 (10–15 each) are synthetic,
// with codes in the national scheme (街道 0xx, 镇 1xx, 乡 2xx; 社区 0xx, 村 2xx) and coordinates scattered
// around the county seat. The same n always gives the same rows. The in-memory index is reloaded afterwards.
func (s *Service) AddSyntheticCounties(ctx context.Context, n int) ([]*Region, error) {
	n = min(max(n, 0), len(syntheticCounties))
	want := syntheticCounties[:n]
	have := map[string]bool{}
	rs, err := s.db.QueryContext(ctx, `SELECT code FROM regions WHERE level IN (?, ?)`, LevelProvince, LevelCity)
	if err != nil {
		return nil, fmt.Errorf("synthetic counties: %w", err)
	}
	for rs.Next() {
		var c string
		if err := rs.Scan(&c); err != nil {
			rs.Close()
			return nil, err
		}
		have[c] = true
	}
	rs.Close()
	if err := rs.Err(); err != nil {
		return nil, err
	}
	var rows []Region
	for _, p := range []Region{
		{Code: chongqingCode, Name: "重庆市", Level: LevelProvince, Lng: 106.55, Lat: 29.56},
		{Code: districtsCode, Name: "市辖区", Level: LevelCity, ParentCode: chongqingCode, Lng: 106.55, Lat: 29.56},
		{Code: countiesCode, Name: "县", Level: LevelCity, ParentCode: chongqingCode, Lng: 106.55, Lat: 29.56},
	} {
		if !have[p.Code] {
			rows = append(rows, p)
		}
	}
	for _, c := range want {
		var exists int
		if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM regions WHERE code = ?`, c.code+"000000").Scan(&exists); err != nil {
			return nil, fmt.Errorf("synthetic counties: %w", err)
		}
		if exists == 0 {
			rows = append(rows, syntheticTree(c)...)
		}
	}
	if len(rows) > 0 {
		err := s.db.InTx(ctx, func(tx *db.Tx) error {
			for _, r := range rows {
				if _, err := tx.ExecContext(ctx, `INSERT INTO regions (code, name, level, parent_code, lng, lat) VALUES (?, ?, ?, ?, ?, ?)`,
					r.Code, r.Name, r.Level, r.ParentCode, r.Lng, r.Lat); err != nil {
					return fmt.Errorf("insert region %s: %w", r.Code, err)
				}
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("synthetic counties: %w", err)
		}
		if err := s.Load(ctx); err != nil {
			return nil, err
		}
	}
	out := make([]*Region, 0, len(want))
	for _, c := range want {
		r, ok := s.Get(c.code + "000000")
		if !ok {
			return nil, fmt.Errorf("synthetic counties: %s missing after insert", c.code)
		}
		out = append(out, r)
	}
	return out, nil
}

// syntheticTree makes a county row and its synthetic townships and villages, in code order. The random source is
// seeded by the county code alone, so a county's rows do not depend on which other counties are added.
func syntheticTree(c syntheticCounty) []Region {
	h := fnv.New64a()
	h.Write([]byte(c.code))
	r := rand.New(rand.NewPCG(h.Sum64(), 0x73796e7468))
	county := c.code + "000000"
	parent := countiesCode
	if isDistrict(c.code) {
		parent = districtsCode
	}
	out := []Region{{Code: county, Name: c.name, Level: LevelCounty, ParentCode: parent, Lng: c.lng, Lat: c.lat}}

	// townships: a few 街道 around the seat, then 镇, then 乡 (urban districts have more 街道 and fewer 乡)
	nTown := 20 + r.IntN(11)
	nJie := 2 + r.IntN(3)
	nXiang := nTown / 3
	if isDistrict(c.code) {
		nJie = 4 + r.IntN(5)
		nXiang = r.IntN(4)
	}
	nZhen := nTown - nJie - nXiang
	townNames := slices.DeleteFunc(stemNames(r, townStemA, townStemB), func(n string) bool { return wushanStems[n] })
	villNames := stemNames(r, villStemA, villStemB)
	suffixes := make([]string, 0, nTown)
	for i := range nTown {
		switch {
		case i < nJie:
			suffixes = append(suffixes, "街道")
		case i < nJie+nZhen:
			suffixes = append(suffixes, "镇")
		default:
			suffixes = append(suffixes, "乡")
		}
	}
	nextTown := map[string]int{"街道": 1, "镇": 101, "乡": 200}
	for i, suf := range suffixes {
		tcode := c.code + fmt.Sprintf("%03d", nextTown[suf]) + "000"
		nextTown[suf]++
		if suf == "乡" && r.IntN(3) == 0 { // 乡 codes have gaps, as in the real lists
			nextTown[suf]++
		}
		var tlng, tlat float64
		if suf == "街道" {
			tlng, tlat = scatter(r, c.lng, c.lat, 0.03)
		} else {
			tlng, tlat = scatter(r, c.lng, c.lat, 0.28)
		}
		out = append(out, Region{Code: tcode, Name: townNames[i] + suf, Level: LevelTownship, ParentCode: county, Lng: tlng, Lat: tlat})

		// villages: 街道 mostly 社区, 镇 one or two 社区, 乡 at most one
		nVill := 10 + r.IntN(6)
		var nComm int
		switch suf {
		case "街道":
			nComm = nVill - r.IntN(3)
		case "镇":
			nComm = 1 + r.IntN(2)
		default:
			nComm = r.IntN(2)
		}
		for j := range nVill {
			var code, name string
			if j < nComm {
				code = tcode[:9] + fmt.Sprintf("%03d", j+1)
				name = villNames[0] + "社区"
			} else {
				code = tcode[:9] + strconv.Itoa(200+j-nComm)
				name = villNames[0] + "村"
			}
			villNames = villNames[1:]
			spread := 0.06
			if suf == "街道" {
				spread = 0.015
			}
			vlng, vlat := scatter(r, tlng, tlat, spread)
			out = append(out, Region{Code: code, Name: name, Level: LevelVillage, ParentCode: tcode, Lng: vlng, Lat: vlat})
		}
	}
	return out
}

// stemNames returns every two-character combination of a and b in a random order.
func stemNames(r *rand.Rand, a, b []rune) []string {
	out := make([]string, 0, len(a)*len(b))
	for _, x := range a {
		for _, y := range b {
			if x != y {
				out = append(out, string([]rune{x, y}))
			}
		}
	}
	r.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out
}

// scatter returns a point within radius degrees of lng, lat (uniform on the disc), rounded to 4 decimals and
// clamped to Chongqing.
func scatter(r *rand.Rand, lng, lat, radius float64) (float64, float64) {
	d := radius * math.Sqrt(r.Float64())
	a := r.Float64() * 2 * math.Pi
	x := min(max(lng+d*math.Cos(a), cqMinLng), cqMaxLng)
	y := min(max(lat+d*math.Sin(a), cqMinLat), cqMaxLat)
	return math.Round(x*1e4) / 1e4, math.Round(y*1e4) / 1e4
}
