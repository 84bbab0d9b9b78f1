package registry_test

import (
	"bytes"
	"context"
	"fmt"
	"testing"

	"nongfu/internal/platform/dbtest"
	"nongfu/internal/platform/imports"
	"nongfu/internal/registry"
	"nongfu/internal/tabular"
	"nongfu/internal/validate"
)

// BenchmarkImportSubjects measures the whole import path (parse, validate, encrypt, dedupe, index, audit) per row.
func BenchmarkImportSubjects(b *testing.B) {
	d := dbtest.SQLite(b)
	f := setupB(b, d)
	villages := f.regions.Villages()
	header := []string{"主体类型", "名称", "身份证号", "手机号", "区划代码", "主导产业", "经营面积(亩)"}
	rows := make([][]string, b.N)
	for i := range rows {
		rows[i] = []string{"农户", fmt.Sprintf("测试户%d", i), uniqueID(i), fmt.Sprintf("139%08d", i), villages[i%len(villages)].Code, "脆李", "3.5"}
	}
	var buf bytes.Buffer
	tabular.WriteCSV(&buf, header, rows, false)
	b.ResetTimer()
	res, err := imports.Run(context.Background(), d, registry.SubjectImporter{S: f.reg}, f.admin, bytes.NewReader(buf.Bytes()), "b.csv", nil)
	if err != nil || res.Rejected > 0 {
		b.Fatalf("%s %v %+v", res.Summary(), err, res.Errors[:min(3, len(res.Errors))])
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

// uniqueID makes distinct valid ID numbers for n < 16,800,000.
func uniqueID(n int) string {
	base := fmt.Sprintf("500237%04d%02d%02d%03d", 1950+(n/336000)%50, 1+(n/28000)%12, 1+(n/1000)%28, n%1000)
	c, _ := validate.IDNumberCheckChar(base)
	return base + string(c)
}
