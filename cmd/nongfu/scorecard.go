package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"nongfu/internal/solve/scorecard"
	"nongfu/internal/tabular"
)

const scorecardUsage = `用法：nongfu scorecard fit --csv 文件 [--target class] [--bad bad] [--folds 5] [--repeats 2] [--seed 1] [--out model.json]
  fit  分箱（WOE）+ 逻辑回归信用评分卡：重复分层 K 折交叉验证，再用全部数据拟合并打印分箱、IV 与评分表
       --csv    CSV（UTF-8、GB18030 或 UTF-16）或 .xlsx 文件，- 为标准输入；第一行为表头，
                目标列中等于 --bad 的值为坏样本，其余为好样本；空值、NA、NULL、? 视为缺失
最后一行为 "AUC mean 均值 sd 标准差"（4位小数）。`

// cmdScorecard fits a credit scorecard on a CSV file and reports its cross-validated AUC.
func cmdScorecard(ctx context.Context, env Env, args []string) error {
	if len(args) == 0 {
		return errors.New("缺少子命令\n" + scorecardUsage)
	}
	switch args[0] {
	case "fit":
		return scorecardFit(ctx, env, args[1:])
	case "help", "-h", "--help":
		fmt.Fprintln(env.Stdout, scorecardUsage)
		return nil
	}
	return fmt.Errorf("未知的子命令 %q\n%s", args[0], scorecardUsage)
}

func scorecardFit(ctx context.Context, env Env, args []string) error {
	start := time.Now()
	fs := flag.NewFlagSet("scorecard fit", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	csvPath := fs.String("csv", "", "数据文件（CSV 或 .xlsx，带表头；- 为标准输入）")
	target := fs.String("target", "class", "目标列名")
	bad := fs.String("bad", "bad", "目标列中表示坏样本（违约）的值")
	folds := fs.Int("folds", 5, "交叉验证折数")
	repeats := fs.Int("repeats", 2, "交叉验证重复次数（第 r 次用种子 seed+r-1）")
	seed := fs.Uint64("seed", 1, "随机种子")
	out := fs.String("out", "", "把全量数据拟合的模型保存为 JSON 文件")
	pos, err := parse(fs, args)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return fmt.Errorf("参数错误：%v\n%s", err, scorecardUsage)
	}
	if *csvPath == "" && len(pos) == 1 {
		*csvPath, pos = pos[0], nil
	}
	if len(pos) > 0 {
		return fmt.Errorf("多余的参数 %q\n%s", pos, scorecardUsage)
	}
	if *csvPath == "" {
		return errors.New("缺少数据文件：请用 --csv 指定\n" + scorecardUsage)
	}
	if *folds < 2 || *folds > 100 {
		return fmt.Errorf("--folds 应在 2 到 100 之间（收到 %d）", *folds)
	}
	if *repeats < 1 || *repeats > 100 {
		return fmt.Errorf("--repeats 应在 1 到 100 之间（收到 %d）", *repeats)
	}
	var in io.Reader = env.Stdin
	name := "标准输入"
	if *csvPath != "-" {
		f, err := os.Open(*csvPath)
		if err != nil {
			return fmt.Errorf("无法打开数据文件 %s：%v", *csvPath, err)
		}
		defer f.Close()
		in, name = f, filepath.Base(*csvPath)
	}
	// tabular also takes .xlsx and the GB18030 / UTF-16 CSV files that spreadsheet programs save
	header, rows, err := tabular.ReadAll(in, name)
	if err != nil {
		return err
	}
	cells := make([][]string, len(rows))
	for i, r := range rows {
		cells[i] = r.Cells
	}
	data, err := scorecard.FromRows(header, cells, *target, *bad)
	if err != nil {
		return fmt.Errorf("读取数据文件 %s：%v", name, err)
	}
	good, nbad := data.Counts()
	if nbad == 0 {
		return fmt.Errorf("目标列 %q 中没有值为 %q 的坏样本：请检查 --target 和 --bad", *target, *bad)
	}
	if good == 0 {
		return fmt.Errorf("目标列 %q 中全是坏样本 %q，没有好样本", *target, *bad)
	}
	var nNum int
	for _, c := range data.Columns {
		if c.Kind == scorecard.Numeric {
			nNum++
		}
	}
	w := env.Stdout
	fmt.Fprintf(w, "数据：%s，%d 条记录，%d 个变量（数值 %d，类别 %d），坏样本 %d（%.1f%%）\n",
		name, data.Len(), len(data.Columns), nNum, len(data.Columns)-nNum, nbad, 100*float64(nbad)/float64(data.Len()))
	if err := ctx.Err(); err != nil {
		return err
	}
	opts := scorecard.Options{}
	res, err := scorecard.CrossValidate(data, *folds, *repeats, *seed, opts)
	if err != nil {
		return fmt.Errorf("交叉验证：%v", err)
	}
	fmt.Fprintf(w, "\n分层 %d 折交叉验证 × %d 次（种子 %d 起）：\n", *folds, *repeats, *seed)
	for _, f := range res.Folds {
		fmt.Fprintf(w, "  第 %d 次 第 %d 折：AUC %.4f  KS %.4f  Gini %.4f  （训练 %d，验证 %d，入模变量 %d）\n",
			f.Repeat+1, f.Fold+1, f.AUC, f.KS, 2*f.AUC-1, f.Train, f.Test, f.Variables)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	m, err := scorecard.Fit(data, opts)
	if err != nil {
		return fmt.Errorf("拟合模型：%v", err)
	}
	printScorecard(w, m, data)
	if *out != "" {
		f, err := os.Create(*out)
		if err != nil {
			return fmt.Errorf("无法创建模型文件 %s：%v", *out, err)
		}
		if err := m.WriteJSON(f); err != nil {
			f.Close()
			return fmt.Errorf("保存模型：%v", err)
		}
		if err := f.Close(); err != nil {
			return fmt.Errorf("保存模型：%v", err)
		}
		fmt.Fprintf(w, "\n模型已保存：%s\n", *out)
	}
	fmt.Fprintf(w, "\n用时 %.2f 秒\n", time.Since(start).Seconds())
	// the contract fixes the last line's start: "AUC mean X.XXXX sd X.XXXX"
	fmt.Fprintf(w, "KS mean %.4f sd %.4f; Gini mean %.4f over %d folds (%d×%d, seed %d)\n",
		res.KSMean, res.KSSD, 2*res.AUCMean-1, len(res.Folds), *folds, *repeats, *seed)
	fmt.Fprintf(w, "AUC mean %.4f sd %.4f\n", res.AUCMean, res.AUCSD)
	return nil
}

// printScorecard prints the binning summary (IV per variable), the points table and the grade distribution of a
// model fitted on all of data.
func printScorecard(w io.Writer, m *scorecard.Model, data scorecard.Dataset) {
	kind := map[scorecard.Kind]string{scorecard.Numeric: "数值", scorecard.Categorical: "类别"}
	reason := map[string]string{scorecard.ReasonLowIV: "否（IV 过低）", scorecard.ReasonWrongSign: "否（系数符号与 WOE 相反）"}
	type row struct {
		cells []string
		iv    float64
	}
	var rows []row
	for _, v := range m.Variables {
		rows = append(rows, row{[]string{v.Name, kind[v.Kind], fmt.Sprint(len(v.Bins)), fmt.Sprintf("%.3f", v.IV), "是"}, v.IV})
	}
	for _, e := range m.Excluded {
		rows = append(rows, row{[]string{e.Name, kind[e.Kind], fmt.Sprint(e.Bins), fmt.Sprintf("%.3f", e.IV), reason[e.Reason]}, e.IV})
	}
	sort.SliceStable(rows, func(a, b int) bool { return rows[a].iv > rows[b].iv })
	fmt.Fprintf(w, "\n全量数据分箱与信息值（IV），按 IV 降序：\n")
	t := [][]string{{"变量", "类型", "箱数", "IV", "入模"}}
	for _, r := range rows {
		t = append(t, r.cells)
	}
	printTable(w, "  ", t)

	sc := m.Scale
	fmt.Fprintf(w, "\n评分卡（%g 分对应好坏比 %g:1，每 %g 分好坏比翻倍；分数 = 基础分 + 各变量所在箱的分值）：\n", sc.Points, sc.Odds, sc.PDO)
	fmt.Fprintf(w, "  基础分 %.1f（截距 %.4f）\n", m.BasePoints, m.Intercept)
	for _, v := range m.Variables {
		fmt.Fprintf(w, "  %s（系数 %.4f ± %.4f，IV %.3f）\n", v.Name, v.Coef, v.StdErr, v.IV)
		t := [][]string{{"分箱", "记录数", "坏样本率", "WOE", "分值"}}
		for _, b := range v.Bins {
			n := b.Good + b.Bad
			rate := 0.0
			if n > 0 {
				rate = float64(b.Bad) / float64(n)
			}
			t = append(t, []string{b.Label, fmt.Sprint(n), fmt.Sprintf("%.1f%%", 100*rate), fmt.Sprintf("%+.3f", b.WOE), fmt.Sprintf("%+.1f", b.Points)})
		}
		printTable(w, "    ", t)
	}

	// grade distribution on the fitting data
	grades := append([]scorecard.Grade(nil), scorecard.DefaultGrades...)
	sort.SliceStable(grades, func(a, b int) bool { return grades[a].MinScore > grades[b].MinScore })
	count, bads := make(map[string]int), make(map[string]int)
	var lo, hi float64
	for i := 0; i < data.Len(); i++ {
		p, _ := m.Score(data.Record(i))
		if i == 0 || p < lo {
			lo = p
		}
		if i == 0 || p > hi {
			hi = p
		}
		g := scorecard.GradeOf(p, grades)
		count[g]++
		if data.Bad[i] {
			bads[g]++
		}
	}
	fmt.Fprintf(w, "\n评级分布（全量数据，分数 %.0f–%.0f）：\n", lo, hi)
	t = [][]string{{"等级", "分数", "记录数", "坏样本率"}}
	for i, g := range grades {
		cut := fmt.Sprintf("≥ %g", g.MinScore)
		if math.IsInf(g.MinScore, -1) && i > 0 {
			cut = fmt.Sprintf("< %g", grades[i-1].MinScore)
		}
		rate := "-"
		if count[g.Name] > 0 {
			rate = fmt.Sprintf("%.1f%%", 100*float64(bads[g.Name])/float64(count[g.Name]))
		}
		t = append(t, []string{g.Name, cut, fmt.Sprint(count[g.Name]), rate})
	}
	printTable(w, "  ", t)
}

// printTable prints rows as left-aligned columns, counting East Asian wide characters as two columns.
func printTable(w io.Writer, indent string, rows [][]string) {
	var width []int
	for _, r := range rows {
		for j, c := range r {
			if j >= len(width) {
				width = append(width, 0)
			}
			width[j] = max(width[j], displayWidth(c))
		}
	}
	for _, r := range rows {
		var b strings.Builder
		b.WriteString(indent)
		for j, c := range r {
			b.WriteString(c)
			if j < len(r)-1 {
				b.WriteString(strings.Repeat(" ", width[j]-displayWidth(c)+2))
			}
		}
		fmt.Fprintln(w, b.String())
	}
}

// displayWidth is the width of s on a terminal: CJK characters and full-width forms take two columns.
func displayWidth(s string) int {
	n := 0
	for _, r := range s {
		switch {
		case r >= 0x1100 && (r <= 0x115f || (r >= 0x2e80 && r <= 0xa4cf) || (r >= 0xac00 && r <= 0xd7a3) ||
			(r >= 0xf900 && r <= 0xfaff) || (r >= 0xfe30 && r <= 0xfe4f) || (r >= 0xff00 && r <= 0xff60) ||
			(r >= 0xffe0 && r <= 0xffe6) || (r >= 0x20000 && r <= 0x3fffd)):
			n += 2
		default:
			n++
		}
	}
	return n
}
