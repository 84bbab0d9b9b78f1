package scorecard

import (
	"errors"
	"math"
	"strings"
	"testing"
)

func TestReadCSV(t *testing.T) {
	in := "\ufeffage; region ;income;class\n" +
		"30;north;1200.5;good\n" +
		"\n" +
		"NA;south;;bad\n" +
		"45; north ;?;good\n"
	d, err := ReadCSV(strings.NewReader(in), "class", "bad")
	if err != nil {
		t.Fatal(err)
	}
	if d.Len() != 3 || len(d.Columns) != 3 {
		t.Fatalf("%d records, %d columns", d.Len(), len(d.Columns))
	}
	if g, b := d.Counts(); g != 2 || b != 1 || !d.Bad[1] {
		t.Fatalf("good %d bad %d (%v)", g, b, d.Bad)
	}
	age, region, income := d.Columns[0], d.Columns[1], d.Columns[2]
	if age.Name != "age" || age.Kind != Numeric || !math.IsNaN(age.Num[1]) || age.Num[2] != 45 {
		t.Errorf("age %+v", age)
	}
	if region.Name != "region" || region.Kind != Categorical || region.Str[2] != "north" || region.Num != nil {
		t.Errorf("region %+v", region)
	}
	if income.Kind != Numeric || income.Num[0] != 1200.5 || !math.IsNaN(income.Num[1]) || !math.IsNaN(income.Num[2]) {
		t.Errorf("income %+v", income)
	}
	if r := d.Record(1); r["region"] != "south" || len(r) != 1 {
		t.Errorf("record %v", r)
	}
	if err := d.SetKind("age", Categorical); err != nil || d.Columns[0].Kind != Categorical || d.Columns[0].Num != nil {
		t.Errorf("SetKind: %v", err)
	}
	if err := d.SetKind("age", Numeric); err != nil || d.Columns[0].Num[0] != 30 {
		t.Errorf("SetKind back: %v", err)
	}
}

func TestReadCSVErrors(t *testing.T) {
	cases := map[string]string{
		"no target":     "a,b\n1,2\n",
		"short line":    "a,class\n1,good\n2\n",
		"empty target":  "a,class\n1,good\n2,\n",
		"duplicate":     "a,a,class\n1,2,good\n",
		"unnamed":       "a,,class\n1,2,good\n",
		"no records":    "a,class\n",
		"empty":         "",
		"bad quoting":   "a,class\n\"1,good\n",
		"tab, no class": "a\tb\n1\t2\n",
	}
	for name, in := range cases {
		if _, err := ReadCSV(strings.NewReader(in), "class", "bad"); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	if _, err := ReadCSV(strings.NewReader(""), "class", "bad"); !errors.Is(err, ErrNoData) {
		t.Errorf("empty input: %v", err)
	}
}

func TestFromRowsPadsShortRows(t *testing.T) {
	d, err := FromRows([]string{"a", "b", "y"}, [][]string{{"1", "x", "0"}, {"2", "", "1"}, {"3", "z", "1"}}, "y", "1")
	if err != nil {
		t.Fatal(err)
	}
	if d.Len() != 3 || d.Columns[1].Str[1] != "" || !d.Bad[1] || d.Bad[0] {
		t.Fatalf("%+v", d)
	}
	if _, err := FromRows([]string{"a", "y"}, [][]string{{"1"}}, "y", "1"); err == nil {
		t.Error("a row without its outcome should fail")
	}
	if _, err := FromRows([]string{"a", "y"}, [][]string{{"1", "0", "extra"}}, "y", "1"); err == nil {
		t.Error("a row longer than the header should fail")
	}
}

func FuzzReadCSV(f *testing.F) {
	f.Add("a,b,class\n1,x,good\n2,y,bad\n", "class", "bad")
	f.Add("\ufeffa;class\nNA;1\n3;2\n", "class", "2")
	f.Add("x\tclass\n\n1e400\tbad\n-0\tgood\n", "class", "bad")
	f.Add("a,class\n\"q\"\"\",bad\n", "class", "bad")
	f.Add("class\nbad\n", "class", "bad")
	f.Fuzz(func(t *testing.T, in, target, bad string) {
		d, err := ReadCSV(strings.NewReader(in), target, bad)
		if err != nil {
			return
		}
		n := d.Len()
		if n == 0 {
			t.Fatal("no records without an error")
		}
		for _, c := range d.Columns {
			if len(c.Str) != n {
				t.Fatalf("column %q: %d values for %d records", c.Name, len(c.Str), n)
			}
			if c.Kind == Numeric {
				if len(c.Num) != n {
					t.Fatalf("numeric column %q without numbers", c.Name)
				}
				for i, x := range c.Num {
					if math.IsInf(x, 0) || math.IsNaN(x) != (c.Str[i] == "") {
						t.Fatalf("column %q value %q parsed as %v", c.Name, c.Str[i], x)
					}
				}
			} else if c.Num != nil {
				t.Fatalf("categorical column %q with numbers", c.Name)
			}
		}
		// whatever was read can be fitted or refused, never panic
		if g, b := d.Counts(); g > 0 && b > 0 {
			if m, err := Fit(d, Options{}); err == nil {
				for i := 0; i < n; i++ {
					if p, prob := m.Score(d.Record(i)); math.IsNaN(p) || math.IsNaN(prob) {
						t.Fatalf("record %d scores NaN", i)
					}
				}
			}
		}
	})
}
