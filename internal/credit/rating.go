package credit

import (
	"fmt"
	"math"
	"sort"
	"strings"

	"nongfu/internal/apperr"
	"nongfu/internal/solve/scorecard"
)

// A rating model (评级模型) is data: a scorecard of indicators with bins and points, add/subtract items and grade
// cut-offs, split into 内评 (the bank's own, from the credit file) and 外评 (soft items scored by the village rating
// group) and combined by a set rule. Evaluate is a pure function of the model and the inputs, so every stored rating
// can be explained and reproduced.

// Parts of a rating.
const (
	PartInternal = "internal" // 内评：由档案数据计算
	PartExternal = "external" // 外评：村评议小组打分
)

// ModelBin is one bin of an indicator. A numeric bin covers (Lower, Upper] (a nil bound is open), the convention of
// the scorecard package; a categorical bin lists its Levels.
type ModelBin struct {
	Label  string   `json:"label"`
	Lower  *float64 `json:"lower,omitempty"`
	Upper  *float64 `json:"upper,omitempty"`
	Levels []string `json:"levels,omitempty"`
	Points float64  `json:"points"`
}

// ModelIndicator is one indicator of a model. An internal indicator bins an input of the credit file; an external
// item is scored directly by the village rating group between 0 and MaxPoints.
type ModelIndicator struct {
	Key           string     `json:"key" doc:"输入键，如 max_overdue_days；外评项如 ext.honesty"`
	Name          string     `json:"name"`
	Part          string     `json:"part" doc:"internal 内评 / external 外评"`
	Bins          []ModelBin `json:"bins,omitempty" doc:"内评指标的分箱（区间左开右闭）"`
	MissingPoints float64    `json:"missing_points" doc:"无数据时的得分"`
	MaxPoints     float64    `json:"max_points" doc:"外评项满分；内评指标可省略（取各箱最高分）"`
}

// Adjustment is an add/subtract item (加减分项): when input Key compares to Value by Op, Points are added.
type Adjustment struct {
	Key    string  `json:"key"`
	Name   string  `json:"name"`
	Op     string  `json:"op" doc:">=, >, <=, <, ="`
	Value  float64 `json:"value"`
	Points float64 `json:"points" doc:"正数加分，负数减分"`
}

// GradeCut is a grade with the least combined score that earns it. Cut-offs run from high to low; the last grade
// also takes every score below its own cut-off (C "below 60").
type GradeCut struct {
	Grade    string  `json:"grade"`
	MinScore float64 `json:"min_score"`
}

// Combine is the rule that joins 内评 and 外评: score = internal × InternalWeight% + external × ExternalWeight%;
// when a subject has no 外评 yet, its internal score stands alone (InternalOnlyWhenNoExternal) or the external part
// counts 0.
type Combine struct {
	InternalWeight             float64 `json:"internal_weight" doc:"内评权重（%）"`
	ExternalWeight             float64 `json:"external_weight" doc:"外评权重（%）"`
	InternalOnlyWhenNoExternal bool    `json:"internal_only_when_no_external" doc:"尚无外评时只用内评"`
}

// ModelDef is the definition of a rating model version.
type ModelDef struct {
	Base        float64          `json:"base" doc:"基础分（拟合评分卡的基础分；手工模型一般为 0）"`
	Indicators  []ModelIndicator `json:"indicators"`
	Adjustments []Adjustment     `json:"adjustments"`
	Grades      []GradeCut       `json:"grades" doc:"等级及最低分，默认 AAA≥90、AA≥80、A≥70、B≥60、C"`
	Combine     Combine          `json:"combine"`
	Clamp       bool             `json:"clamp" doc:"总分限制在 0–100"`
}

// DefaultGrades are the default cut-offs.
func DefaultGrades() []GradeCut {
	return []GradeCut{{"AAA", 90}, {"AA", 80}, {"A", 70}, {"B", 60}, {"C", 0}}
}

// GradeOrder ranks grades, best first; unknown grades rank last.
var GradeOrder = []string{"AAA", "AA", "A", "BBB", "BB", "B", "C"}

// GradeAtLeast reports whether grade g is min or better.
func GradeAtLeast(g, min string) bool {
	gi, mi := gradeRank(g), gradeRank(min)
	return gi <= mi
}

func gradeRank(g string) int {
	for i, x := range GradeOrder {
		if x == g {
			return i
		}
	}
	return len(GradeOrder)
}

func f64(v float64) *float64 { return &v }

// DefaultModel is the county's starting model: 内评 from the credit file (scale, repayment, arrears, records) and
// 外评 by the village rating group, 70 : 30, with honours and bad records as add/subtract items.
func DefaultModel() ModelDef {
	return ModelDef{
		Indicators: []ModelIndicator{
			{Key: "scale_mu", Name: "经营面积（亩）", Part: PartInternal, Bins: []ModelBin{
				{Label: "5 亩及以下", Upper: f64(5), Points: 8}, {Label: "5–20 亩", Lower: f64(5), Upper: f64(20), Points: 14},
				{Label: "20–50 亩", Lower: f64(20), Upper: f64(50), Points: 18}, {Label: "50 亩以上", Lower: f64(50), Points: 20}}},
			{Key: "max_overdue_days", Name: "历史最长逾期（天）", Part: PartInternal, MissingPoints: 25, Bins: []ModelBin{
				{Label: "无逾期", Upper: f64(0), Points: 30}, {Label: "1–30 天", Lower: f64(0), Upper: f64(30), Points: 15},
				{Label: "31–90 天", Lower: f64(30), Upper: f64(90), Points: 5}, {Label: "90 天以上", Lower: f64(90), Points: 0}}},
			{Key: "arrears_yuan", Name: "当前欠款（元）", Part: PartInternal, Bins: []ModelBin{
				{Label: "无欠款", Upper: f64(0), Points: 20}, {Label: "有欠款", Lower: f64(0), Points: 0}}},
			{Key: "settled_loans", Name: "已结清贷款（笔）", Part: PartInternal, Bins: []ModelBin{
				{Label: "无", Upper: f64(0), Points: 8}, {Label: "1 笔", Lower: f64(0), Upper: f64(1), Points: 12},
				{Label: "2 笔及以上", Lower: f64(1), Points: 15}}},
			{Key: "household_members", Name: "家庭劳动力（人）", Part: PartInternal, MissingPoints: 10, Bins: []ModelBin{
				{Label: "1 人", Upper: f64(1), Points: 6}, {Label: "2–3 人", Lower: f64(1), Upper: f64(3), Points: 10},
				{Label: "4 人及以上", Lower: f64(3), Points: 15}}},
			{Key: "ext.law", Name: "遵纪守法", Part: PartExternal, MaxPoints: 30},
			{Key: "ext.honesty", Name: "诚实守信", Part: PartExternal, MaxPoints: 30},
			{Key: "ext.harmony", Name: "邻里和睦、家庭和谐", Part: PartExternal, MaxPoints: 20},
			{Key: "ext.diligence", Name: "勤劳致富", Part: PartExternal, MaxPoints: 20},
		},
		Adjustments: []Adjustment{
			{Key: "records_honour", Name: "荣誉（优秀党员、五好家庭等）", Op: ">=", Value: 1, Points: 5},
			{Key: "records_bad", Name: "失信、判决、欠缴记录", Op: ">=", Value: 1, Points: -20},
			{Key: "peer_score", Name: "会员互评低于 60 分", Op: "<", Value: 60, Points: -5},
		},
		Grades:  DefaultGrades(),
		Combine: Combine{InternalWeight: 70, ExternalWeight: 30, InternalOnlyWhenNoExternal: true},
		Clamp:   true,
	}
}

// FromScorecard turns a fitted scorecard into a model definition: each variable becomes an internal indicator with
// the fitted bins and points (keys are the data's column names, so inputs must use them), the base points become
// Base, and the grades step by PDO from the scale's anchor (AAA at the anchor score, each grade one PDO lower).
func FromScorecard(m *scorecard.Model) ModelDef {
	def := ModelDef{Base: round2(m.BasePoints), Combine: Combine{InternalWeight: 100}}
	for _, v := range m.Variables {
		ind := ModelIndicator{Key: v.Name, Name: v.Name, Part: PartInternal}
		for _, b := range v.Bins {
			if b.Missing {
				ind.MissingPoints = round2(b.Points)
				continue
			}
			mb := ModelBin{Label: b.Label, Points: round2(b.Points)}
			if b.Lower != nil {
				mb.Lower = f64(*b.Lower)
			}
			if b.Upper != nil {
				mb.Upper = f64(*b.Upper)
			}
			mb.Levels = append(mb.Levels, b.Levels...)
			ind.Bins = append(ind.Bins, mb)
		}
		def.Indicators = append(def.Indicators, ind)
	}
	a, pdo := m.Scale.Points, m.Scale.PDO
	def.Grades = []GradeCut{{"AAA", a}, {"AA", a - pdo}, {"A", a - 2*pdo}, {"B", a - 3*pdo}, {"C", a - 4*pdo}}
	return def
}

func round2(x float64) float64 { return math.Round(x*100) / 100 }

// Validate checks a definition and returns Chinese messages by field.
func (d *ModelDef) Validate() error {
	fields := map[string]string{}
	if len(d.Indicators) == 0 {
		fields["indicators"] = "至少需要一个指标"
	}
	seen := map[string]bool{}
	for i, ind := range d.Indicators {
		f := fmt.Sprintf("indicators[%d]", i)
		switch {
		case strings.TrimSpace(ind.Key) == "":
			fields[f+".key"] = "指标键不能为空"
		case seen[ind.Key]:
			fields[f+".key"] = "指标键重复：" + ind.Key
		case strings.TrimSpace(ind.Name) == "":
			fields[f+".name"] = "指标名称不能为空"
		case ind.Part != PartInternal && ind.Part != PartExternal:
			fields[f+".part"] = "应为 internal（内评）或 external（外评）"
		case ind.Part == PartInternal && len(ind.Bins) == 0:
			fields[f+".bins"] = "内评指标至少需要一个分箱"
		case ind.Part == PartExternal && ind.MaxPoints <= 0:
			fields[f+".max_points"] = "外评项满分应大于 0"
		}
		seen[ind.Key] = true
		for j, b := range ind.Bins {
			if b.Lower != nil && b.Upper != nil && *b.Lower >= *b.Upper {
				fields[fmt.Sprintf("%s.bins[%d]", f, j)] = "分箱下限应小于上限"
			}
		}
	}
	for i, a := range d.Adjustments {
		if _, ok := compare(a.Op, 0, 0); !ok {
			fields[fmt.Sprintf("adjustments[%d].op", i)] = "比较符应为 >=、>、<=、<、="
		}
		if strings.TrimSpace(a.Name) == "" || strings.TrimSpace(a.Key) == "" {
			fields[fmt.Sprintf("adjustments[%d].name", i)] = "加减分项的名称和指标键不能为空"
		}
	}
	if len(d.Grades) == 0 {
		fields["grades"] = "至少需要一个等级"
	}
	for i, g := range d.Grades {
		if strings.TrimSpace(g.Grade) == "" {
			fields[fmt.Sprintf("grades[%d].grade", i)] = "等级名称不能为空"
		}
		if i > 0 && g.MinScore >= d.Grades[i-1].MinScore {
			fields[fmt.Sprintf("grades[%d].min_score", i)] = "等级最低分应从高到低排列"
		}
	}
	if w := d.Combine.InternalWeight + d.Combine.ExternalWeight; math.Abs(w-100) > 1e-9 {
		fields["combine"] = "内评与外评权重之和应为 100%"
	}
	if d.Combine.InternalWeight < 0 || d.Combine.ExternalWeight < 0 {
		fields["combine"] = "权重不能为负"
	}
	if len(fields) > 0 {
		return apperr.FieldErrors(fields)
	}
	return nil
}

func compare(op string, x, v float64) (bool, bool) {
	switch op {
	case ">=":
		return x >= v, true
	case ">":
		return x > v, true
	case "<=":
		return x <= v, true
	case "<":
		return x < v, true
	case "=", "==":
		return x == v, true
	}
	return false, false
}

// Input is one value a rating used: a number (or a level for categorical bins) with where it came from.
type Input struct {
	Key    string   `json:"key"`
	Name   string   `json:"name,omitempty"`
	Number *float64 `json:"number,omitempty" doc:"缺失为空"`
	Level  string   `json:"level,omitempty"`
	Source string   `json:"source,omitempty"`
	AsOf   string   `json:"as_of,omitempty"`
}

// Inputs are a subject's inputs by key.
type Inputs map[string]Input

// Set records a number.
func (in Inputs) Set(key, name string, v float64, source, asOf string) {
	in[key] = Input{Key: key, Name: name, Number: f64(v), Source: source, AsOf: asOf}
}

// Scored is one indicator's result.
type Scored struct {
	Key       string   `json:"key"`
	Name      string   `json:"name"`
	Part      string   `json:"part"`
	Value     string   `json:"value" doc:"输入值（缺失为“无数据”）"`
	Bin       string   `json:"bin"`
	Points    float64  `json:"points"`
	MaxPoints float64  `json:"max_points"`
	Number    *float64 `json:"number,omitempty"`
}

// Applied is an add/subtract item that applied.
type Applied struct {
	Name   string  `json:"name"`
	Points float64 `json:"points"`
}

// Result is an evaluated rating.
type Result struct {
	Internal    float64   `json:"internal" doc:"内评得分（百分制，拟合评分卡为原始分）"`
	External    *float64  `json:"external,omitempty" doc:"外评得分（百分制）；尚无外评为空"`
	Score       float64   `json:"score" doc:"综合得分"`
	Grade       string    `json:"grade"`
	Indicators  []Scored  `json:"indicators"`
	Adjustments []Applied `json:"adjustments"`
	Reasons     []string  `json:"reasons" doc:"主要失分原因（按失分从多到少）"`
}

func maxPoints(ind ModelIndicator) float64 {
	if ind.Part == PartExternal {
		return ind.MaxPoints
	}
	m := ind.MissingPoints
	for _, b := range ind.Bins {
		m = math.Max(m, b.Points)
	}
	return m
}

func (b ModelBin) contains(x float64) bool {
	return (b.Lower == nil || x > *b.Lower) && (b.Upper == nil || x <= *b.Upper)
}

func numText(x float64) string {
	if x == math.Trunc(x) && math.Abs(x) < 1e15 {
		return fmt.Sprintf("%.0f", x)
	}
	return fmt.Sprintf("%.2f", x)
}

// Evaluate rates one subject. 内评 is Base + Σ internal points, expressed as a share of the internal maximum when
// the model has no Base (a hand-made 100-point model); 外评 is Σ external points as a share of their maximum, absent
// when no external item was scored. Adjustments are added to the combined score, which is clamped to 0–100 when the
// model says so; the grade is the first cut-off the score reaches.
func Evaluate(def *ModelDef, in Inputs) Result {
	var r Result
	var intPts, intMax, extPts, extMax float64
	extScored := false
	for _, ind := range def.Indicators {
		s := Scored{Key: ind.Key, Name: ind.Name, Part: ind.Part, MaxPoints: maxPoints(ind), Value: "无数据", Bin: "缺失"}
		v, ok := in[ind.Key]
		hasNum := ok && v.Number != nil && !math.IsNaN(*v.Number)
		if hasNum {
			s.Number = f64(*v.Number)
			s.Value = numText(*v.Number)
		} else if ok && v.Level != "" {
			s.Value = v.Level
		}
		if ind.Part == PartExternal {
			if hasNum {
				extScored = true
				s.Points = math.Max(0, math.Min(*v.Number, ind.MaxPoints))
				s.Bin = "评议得分"
			}
			extPts += s.Points
			extMax += s.MaxPoints
			r.Indicators = append(r.Indicators, s)
			continue
		}
		s.Points = ind.MissingPoints
		for _, b := range ind.Bins {
			match := false
			switch {
			case len(b.Levels) > 0:
				match = ok && v.Level != "" && containsStr(b.Levels, v.Level)
			case hasNum:
				match = b.contains(*v.Number)
			}
			if match {
				s.Points, s.Bin = b.Points, b.Label
				break
			}
		}
		intPts += s.Points
		intMax += s.MaxPoints
		r.Indicators = append(r.Indicators, s)
	}
	if def.Base != 0 || intMax <= 0 {
		r.Internal = round2(def.Base + intPts)
	} else {
		r.Internal = round2(intPts / intMax * 100)
	}
	c := def.Combine
	switch {
	case extScored && extMax > 0:
		e := round2(extPts / extMax * 100)
		r.External = &e
		r.Score = r.Internal*c.InternalWeight/100 + e*c.ExternalWeight/100
	case c.InternalOnlyWhenNoExternal || c.ExternalWeight == 0:
		r.Score = r.Internal
	default:
		r.Score = r.Internal * c.InternalWeight / 100
	}
	for _, a := range def.Adjustments {
		v, ok := in[a.Key]
		if !ok || v.Number == nil {
			continue
		}
		if hit, _ := compare(a.Op, *v.Number, a.Value); hit {
			r.Score += a.Points
			r.Adjustments = append(r.Adjustments, Applied{Name: a.Name, Points: a.Points})
		}
	}
	if def.Clamp {
		r.Score = math.Max(0, math.Min(100, r.Score))
	}
	r.Score = round2(r.Score)
	r.Grade = gradeOf(r.Score, def.Grades)
	r.Reasons = reasons(r)
	return r
}

func containsStr(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}

func gradeOf(score float64, grades []GradeCut) string {
	for _, g := range grades {
		if score >= g.MinScore {
			return g.Grade
		}
	}
	if len(grades) > 0 {
		return grades[len(grades)-1].Grade
	}
	return ""
}

// reasons lists the three indicators that lost the most points, then the deductions: "top reasons".
func reasons(r Result) []string {
	type lost struct {
		s    Scored
		loss float64
	}
	var ls []lost
	for _, s := range r.Indicators {
		if s.Part == PartExternal && r.External == nil {
			continue // 外评 not given yet: it did not count, so it lost nothing
		}
		if l := s.MaxPoints - s.Points; l > 0.005 {
			ls = append(ls, lost{s, l})
		}
	}
	sort.SliceStable(ls, func(i, j int) bool { return ls[i].loss > ls[j].loss })
	var out []string
	for _, a := range r.Adjustments {
		if a.Points < 0 {
			out = append(out, fmt.Sprintf("%s：扣 %s 分", a.Name, numText(-a.Points)))
		}
	}
	for i, l := range ls {
		if i == 3 {
			break
		}
		part := "内评"
		if l.s.Part == PartExternal {
			part = "外评"
		}
		out = append(out, fmt.Sprintf("%s·%s %s（%s）：得 %s 分，满分 %s 分", part, l.s.Name, l.s.Value, l.s.Bin, numText(l.s.Points), numText(l.s.MaxPoints)))
	}
	return out
}
