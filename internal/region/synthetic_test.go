package region

import (
	"context"
	"slices"
	"strings"
	"testing"

	"nongfu/internal/platform/dbtest"
	"nongfu/internal/platform/migrations"
)

func TestAddSyntheticCounties(t *testing.T) {
	ctx := context.Background()
	d := dbtest.SQLite(t)
	if err := d.Migrate(ctx, migrations.Platform, Migrations); err != nil {
		t.Fatal(err)
	}
	s := NewService(d)
	if err := s.Load(ctx); err != nil {
		t.Fatal(err)
	}
	countRows := func() int {
		var n int
		if err := d.QueryRowContext(ctx, `SELECT COUNT(*) FROM regions`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	before := countRows()
	wushanTowns := len(s.Children("500237000000"))

	added, err := s.AddSyntheticCounties(ctx, 5)
	if err != nil {
		t.Fatal(err)
	}
	if len(added) != 5 {
		t.Fatalf("added %d counties, want 5", len(added))
	}
	if got := len(s.Counties()); got != 6 {
		t.Errorf("%d counties in the tree, want 6", got)
	}
	if len(s.Children("500237000000")) != wushanTowns {
		t.Error("巫山县 changed")
	}
	afterFirst := countRows()

	seen := map[string]bool{}
	for _, c := range added {
		if c.Level != LevelCounty || len(c.Code) != 12 || !strings.HasSuffix(c.Code, "000000") || !strings.HasPrefix(c.Code, "50") {
			t.Errorf("county %+v", c)
		}
		if _, ok := s.Get(c.ParentCode); !ok || (c.ParentCode != "500100000000" && c.ParentCode != "500200000000") {
			t.Errorf("county %s: parent %s", c.Code, c.ParentCode)
		}
		if c.Lng < cqMinLng || c.Lng > cqMaxLng || c.Lat < cqMinLat || c.Lat > cqMaxLat {
			t.Errorf("county %s at %v,%v", c.Name, c.Lng, c.Lat)
		}
		towns := s.Children(c.Code)
		if len(towns) < 20 || len(towns) > 30 {
			t.Errorf("%s: %d townships", c.Name, len(towns))
		}
		names := map[string]bool{}
		for _, tw := range towns {
			checkNode(t, s, tw, LevelTownship, c.Code)
			if names[tw.Name] {
				t.Errorf("%s: township name %s repeats", c.Name, tw.Name)
			}
			names[tw.Name] = true
			part := tw.Code[6:9]
			switch {
			case strings.HasSuffix(tw.Name, "街道") && part[0] == '0',
				strings.HasSuffix(tw.Name, "镇") && part[0] == '1',
				strings.HasSuffix(tw.Name, "乡") && part[0] == '2':
			default:
				t.Errorf("township %s %s: code does not match its kind", tw.Code, tw.Name)
			}
			vs := s.Children(tw.Code)
			if len(vs) < 10 || len(vs) > 15 {
				t.Errorf("%s: %d villages", tw.FullName, len(vs))
			}
			vnames := map[string]bool{}
			for _, v := range vs {
				checkNode(t, s, v, LevelVillage, tw.Code)
				if vnames[v.Name] {
					t.Errorf("%s: village name %s repeats", tw.FullName, v.Name)
				}
				vnames[v.Name] = true
				switch part := v.Code[9:]; {
				case strings.HasSuffix(v.Name, "社区") && part[0] == '0' && part != "000",
					strings.HasSuffix(v.Name, "村") && part[0] == '2':
				default:
					t.Errorf("village %s %s: code does not match its kind", v.Code, v.Name)
				}
				if !strings.HasPrefix(v.FullName, c.Name+tw.Name) {
					t.Errorf("village %s full name %s", v.Code, v.FullName)
				}
			}
		}
		for _, x := range append([]*Region{c}, towns...) {
			if seen[x.Code] {
				t.Errorf("code %s repeats", x.Code)
			}
			seen[x.Code] = true
		}
	}
	if got := len(s.Townships()); got < 26+5*20 {
		t.Errorf("%d townships in all", got)
	}

	// idempotent: the same n adds nothing, and returns the same counties
	again, err := s.AddSyntheticCounties(ctx, 5)
	if err != nil {
		t.Fatal(err)
	}
	if countRows() != afterFirst {
		t.Errorf("second call changed the table: %d → %d rows", afterFirst, countRows())
	}
	for i := range again {
		if again[i].Code != added[i].Code {
			t.Errorf("second call returned %s, first %s", again[i].Code, added[i].Code)
		}
	}
	// a larger n adds only the missing counties, and is capped
	all, err := s.AddSyntheticCounties(ctx, 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != MaxSyntheticCounties || len(s.Counties()) != 38 {
		t.Errorf("capped call returned %d, tree has %d counties", len(all), len(s.Counties()))
	}
	for _, c := range []string{"500101000000", "500156000000", "500243000000", "500100000000"} {
		if _, ok := s.Get(c); !ok {
			t.Errorf("%s missing", c)
		}
	}
	t.Logf("regions: %d (巫山县 only), %d (+5), %d (+37)", before, afterFirst, countRows())
}

// checkNode checks a node's code shape, level and parent.
func checkNode(t *testing.T, s *Service, r *Region, level, parent string) {
	t.Helper()
	if len(r.Code) != 12 || !tsvIsDigits(r.Code) || r.Level != level || r.ParentCode != parent || Parent(r.Code) != parent {
		t.Errorf("%s %s: level %s parent %s", r.Code, r.Name, r.Level, r.ParentCode)
	}
	if _, ok := s.Get(r.ParentCode); !ok {
		t.Errorf("%s: parent %s missing", r.Code, r.ParentCode)
	}
	if r.Lng < cqMinLng || r.Lng > cqMaxLng || r.Lat < cqMinLat || r.Lat > cqMaxLat {
		t.Errorf("%s %s at %v,%v", r.Code, r.Name, r.Lng, r.Lat)
	}
}

func TestSyntheticTownshipsAvoidWushanNames(t *testing.T) {
	if len(wushanStems) != 26 || !wushanStems["龙溪"] || !wushanStems["红椿"] {
		t.Fatalf("wushanStems = %v", wushanStems)
	}
	for _, c := range syntheticCounties {
		rows := syntheticTree(c)
		if !slices.Equal(rows, syntheticTree(c)) {
			t.Errorf("%s: not deterministic", c.name)
		}
		for _, r := range rows {
			if r.Level == LevelTownship && wushanStems[strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(r.Name, "街道"), "镇"), "乡")] {
				t.Errorf("%s %s reuses a 巫山县 township name", c.name, r.Name)
			}
		}
	}
}
