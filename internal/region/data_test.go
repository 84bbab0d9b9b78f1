package region

import (
	"bufio"
	"os"
	"strconv"
	"strings"
	"testing"
)

// tsvRow is one parsed line of data/wushan.tsv.
type tsvRow struct {
	line     int
	code     string
	name     string
	level    string
	lng, lat float64
}

const (
	tsvWushanCounty = "500237000000"
	tsvCityCode     = "500200000000"
	tsvProvinceCode = "500000000000"

	// Bounding box of 巫山县 (generous by a hair on every side).
	tsvMinLng, tsvMaxLng = 109.55, 110.20
	tsvMinLat, tsvMaxLat = 30.75, 31.45
)

func tsvIsDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// tsvParent computes the parent code from the code and level alone.
func tsvParent(r tsvRow) (string, bool) {
	switch r.level {
	case "village":
		return r.code[:9] + "000", true
	case "township":
		return r.code[:6] + "000000", true
	case "county":
		if r.code == tsvWushanCounty {
			return tsvCityCode, true
		}
		return r.code[:4] + "00000000", true
	case "city":
		return tsvProvinceCode, true
	}
	return "", false // province: root
}

func tsvRead(t *testing.T, path string) []tsvRow {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("open %s: %v", path, err)
	}
	defer f.Close()

	sc := bufio.NewScanner(f)
	if !sc.Scan() {
		t.Fatalf("%s: empty file", path)
	}
	if got, want := sc.Text(), "code\tname\tlevel\tlng\tlat"; got != want {
		t.Fatalf("header = %q, want %q", got, want)
	}
	var rows []tsvRow
	line := 1
	for sc.Scan() {
		line++
		text := sc.Text()
		if text == "" {
			t.Errorf("line %d: empty line", line)
			continue
		}
		fields := strings.Split(text, "\t")
		if len(fields) != 5 {
			t.Errorf("line %d: %d fields, want 5: %q", line, len(fields), text)
			continue
		}
		lng, err1 := strconv.ParseFloat(fields[3], 64)
		lat, err2 := strconv.ParseFloat(fields[4], 64)
		if err1 != nil || err2 != nil {
			t.Errorf("line %d: bad coordinates %q %q", line, fields[3], fields[4])
			continue
		}
		for _, c := range fields[3:] {
			if i := strings.IndexByte(c, '.'); i >= 0 && len(c)-i-1 > 4 {
				t.Errorf("line %d: coordinate %q has more than 4 decimals", line, c)
			}
		}
		rows = append(rows, tsvRow{line: line, code: fields[0], name: fields[1], level: fields[2], lng: lng, lat: lat})
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("read %s: %v", path, err)
	}
	return rows
}

func TestWushanData(t *testing.T) {
	rows := tsvRead(t, "./data/wushan.tsv")
	if len(rows) == 0 {
		t.Fatal("no data rows")
	}

	levels := map[string]bool{"province": true, "city": true, "county": true, "township": true, "village": true}
	byCode := make(map[string]tsvRow, len(rows))
	prev := ""
	for _, r := range rows {
		if len(r.code) != 12 || !tsvIsDigits(r.code) {
			t.Errorf("line %d: code %q is not 12 digits", r.line, r.code)
			continue
		}
		if _, dup := byCode[r.code]; dup {
			t.Errorf("line %d: duplicate code %s", r.line, r.code)
		}
		if r.code <= prev {
			t.Errorf("line %d: code %s not sorted after %s", r.line, r.code, prev)
		}
		prev = r.code
		if !levels[r.level] {
			t.Errorf("line %d: unknown level %q", r.line, r.level)
		}
		if strings.TrimSpace(r.name) == "" || r.name != strings.TrimSpace(r.name) {
			t.Errorf("line %d: bad name %q", r.line, r.name)
		}
		byCode[r.code] = r
	}

	// Every row's parent (derived from its code) must exist.
	for _, r := range rows {
		p, ok := tsvParent(r)
		if !ok {
			continue
		}
		if p == r.code {
			t.Errorf("line %d: %s is its own parent", r.line, r.code)
			continue
		}
		if _, found := byCode[p]; !found {
			t.Errorf("line %d: parent %s of %s (%s) missing", r.line, p, r.code, r.name)
		}
	}

	if c, ok := byCode[tsvWushanCounty]; !ok || c.name != "巫山县" || c.level != "county" {
		t.Errorf("county row %s = %+v, want 巫山县/county", tsvWushanCounty, c)
	}

	// Townships of 巫山县: 2 街道, 11 镇, 13 乡.
	var jiedao, zhen, xiang, townships int
	for _, r := range rows {
		if r.level != "township" {
			continue
		}
		if p, _ := tsvParent(r); p != tsvWushanCounty {
			continue
		}
		townships++
		switch {
		case strings.HasSuffix(r.name, "街道"):
			jiedao++
		case strings.HasSuffix(r.name, "镇"):
			zhen++
		case strings.HasSuffix(r.name, "乡"):
			xiang++
		default:
			t.Errorf("line %d: township %q has no 街道/镇/乡 suffix", r.line, r.name)
		}
	}
	if townships != 26 || jiedao != 2 || zhen != 11 || xiang != 13 {
		t.Errorf("townships = %d (街道 %d, 镇 %d, 乡 %d), want 26 (2, 11, 13)", townships, jiedao, zhen, xiang)
	}

	// Villages: count, and names unique within their township.
	villages := 0
	seen := map[string]map[string]int{}
	for _, r := range rows {
		if r.level != "village" {
			continue
		}
		villages++
		tw := r.code[:9]
		if seen[tw] == nil {
			seen[tw] = map[string]int{}
		}
		if first, dup := seen[tw][r.name]; dup {
			t.Errorf("line %d: village name %q repeats line %d in township %s", r.line, r.name, first, tw)
		}
		seen[tw][r.name] = r.line
		if !strings.HasSuffix(r.name, "村") && !strings.HasSuffix(r.name, "社区") {
			t.Errorf("line %d: village %q ends in neither 村 nor 社区", r.line, r.name)
		}
	}
	if villages < 300 || villages > 380 {
		t.Errorf("villages = %d, want between 300 and 380", villages)
	}

	// Coordinates of townships and villages lie inside the county's bounding box.
	for _, r := range rows {
		if r.level != "township" && r.level != "village" {
			continue
		}
		if r.lng < tsvMinLng || r.lng > tsvMaxLng || r.lat < tsvMinLat || r.lat > tsvMaxLat {
			t.Errorf("line %d: %s %s at (%.4f, %.4f) outside 巫山县 bbox", r.line, r.code, r.name, r.lng, r.lat)
		}
	}
}
