package credit

import (
	"context"
	"fmt"

	"nongfu/internal/platform/auth"
	"nongfu/internal/platform/db"
	"nongfu/internal/region"
)

// SeedRatingDemo adds, in the demo's transaction, an approved rating model for the county, records from other
// departments and assets for some subjects, 外评 scores for part of the batch region's subjects, and a completed
// 整村授信 batch for batchRegion (a township keeps the default demo fast). Run after SeedDemo so that loans count.
func (s *Service) SeedRatingDemo(ctx context.Context, tx *db.Tx, batchRegion string, subjects []int64) error {
	reg, ok := s.regions.Get(batchRegion)
	if !ok {
		return fmt.Errorf("demo batch region %s unknown", batchRegion)
	}
	county := region.County(reg.Code) + "000000"
	p := &auth.Principal{Username: "县农合联秘书处（演示）", Role: auth.CountyAdmin, Scopes: []string{county}}
	id, err := s.insertModel(ctx, tx, p, county, "农户信用评级", "default", "演示：默认模型（内评 70%，外评 30%）", DefaultModel())
	if err != nil {
		return err
	}
	if err := s.approveModel(ctx, tx, p, id); err != nil {
		return err
	}
	m, err := s.getModel(ctx, tx, id)
	if err != nil {
		return err
	}
	asOf := s.today()
	day := func(back int) string { return FormatDate(asOf.AddDate(0, 0, -back)) }
	for i, sid := range subjects {
		var in *RecordInput
		switch {
		case i%41 == 7:
			in = &RecordInput{Category: "judgement", Title: "民间借贷纠纷判决未履行", Source: "县人民法院", Date: day(200 + i%90)}
		case i%53 == 11:
			in = &RecordInput{Category: "arrears", Title: "拖欠新农合个人缴费", AmountFen: 38000, Source: "县医保局", Date: day(120)}
		case i%17 == 3:
			in = &RecordInput{Category: "honour", Title: "县级五好家庭", Source: "县妇联", Date: day(300)}
		case i%19 == 5:
			in = &RecordInput{Category: "honour", Title: "优秀共产党员", Source: "镇党委", Date: day(180)}
		case i%6 == 1:
			in = &RecordInput{Category: "land", Title: "土地承包经营权", Quantity: float64(3 + i%9), Unit: "亩", AmountFen: int64(3+i%9) * 800_000, Source: "县农业农村委（确权登记）", Date: day(400)}
		case i%13 == 2:
			in = &RecordInput{Category: "machine", Title: "微耕机", Quantity: 1, Unit: "台", AmountFen: 450_000, Source: "本人申报、村委核实", Date: day(90)}
		}
		if in == nil || i > 3000 {
			continue
		}
		in.SubjectID = sid
		if _, err := s.AddRecordTx(ctx, tx, p, *in); err != nil {
			return fmt.Errorf("demo record: %w", err)
		}
	}
	// 外评 of about half the subjects of the batch region, by the village rating groups
	period := s.period()
	cond, args := rangeCond("region_code", reg.Code)
	rows, err := tx.QueryContext(ctx, `SELECT id, region_code FROM subjects WHERE `+cond+` AND kind = 'household' ORDER BY id`, args...)
	if err != nil {
		return err
	}
	var ext [][]any
	now := s.now().UTC()
	n := 0
	for rows.Next() {
		var sid int64
		var rc string
		if err := rows.Scan(&sid, &rc); err != nil {
			rows.Close()
			return err
		}
		n++
		if n%2 == 0 {
			continue
		}
		k := float64(n % 7)
		for _, it := range [][2]any{{"ext.law", 30 - k}, {"ext.honesty", 29 - k}, {"ext.harmony", 19 - k/2}, {"ext.diligence", 18 - k}} {
			ext = append(ext, []any{sid, period, it[0], rc, it[1], "村评议小组（演示）", now})
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	if err := tx.InsertRows(ctx, "external_scores", []string{"subject_id", "period", "item_key", "region_code", "points", "rater_name", "scored_at"}, ext, 200); err != nil {
		return err
	}
	bid, _, err := s.createBatch(ctx, tx, p, reg, m, DefaultBatchConfig())
	if err != nil {
		return err
	}
	b, err := scanBatch(tx.QueryRowContext(ctx, `SELECT `+batchCols+` FROM credit_batches WHERE id = ?`, bid))
	if err != nil {
		return err
	}
	inTx := func(ctx context.Context, fn func(*db.Tx) error) error { return fn(tx) }
	return s.runBatch(ctx, tx, inTx, b, p.Username, func(int, int) {})
}
