package demo

import (
	"context"
	"fmt"
	"testing"

	"nongfu/internal/platform/pii"
)

func TestDumpTmp(t *testing.T) {
	e := setup(t, pii.NewKey())
	e.load(t, Options{Households: 2000})
	ctx := context.Background()
	for _, q := range []string{
		`SELECT kind, name, COALESCE(credit_code,''), legal_rep, region_code, industries, scale_mu, households_led, established_on, address FROM subjects WHERE kind <> 'household' ORDER BY random() LIMIT 40`,
		`SELECT kind, name, '', legal_rep, region_code, industries, scale_mu, households_led, lng || ',' || lat, address FROM subjects WHERE kind = 'household' ORDER BY random() LIMIT 15`,
		`SELECT 'member', m.name, s.name, m.relation, m.gender, m.birth_date, '', '', '', '' FROM household_members m JOIN subjects s ON s.id = m.subject_id ORDER BY random() LIMIT 20`,
		`SELECT 'plot', p.name, p.crop, p.area, p.polygon_area, substr(p.polygon, 1, 80), '', '', '', '' FROM plots p ORDER BY random() LIMIT 12`,
		`SELECT 'ind', industries, COUNT(*), '', '', '', '', '', '', '' FROM subjects WHERE kind='household' GROUP BY 2 ORDER BY 3 DESC LIMIT 20`,
		`SELECT 'kind', kind, COUNT(*), '', '', '', '', '', '', '' FROM subjects GROUP BY 2`,
		`SELECT 'rel', relation, COUNT(*), '', '', '', '', '', '', '' FROM household_members GROUP BY 2`,
		`SELECT 'town', substr(region_code,1,9), COUNT(*), '', '', '', '', '', '', '' FROM subjects WHERE kind='household' GROUP BY 2`,
	} {
		rows, err := e.d.QueryContext(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			v := make([]any, 10)
			for i := range v {
				v[i] = new(any)
			}
			rows.Scan(v...)
			for _, x := range v {
				fmt.Print(*(x.(*any)), " | ")
			}
			fmt.Println()
		}
		rows.Close()
		fmt.Println("----")
	}
}
