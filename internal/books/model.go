// Package books is the 统一财务代账 (bookkeeping service) room: the county service center keeps the double-entry
// books of client organisations (农民专业合作社, 村集体经济组织, 家庭农场). It holds the organisations under service,
// the chart of accounts of the 农民专业合作社会计制度 (财会〔2021〕37号) as versioned data, per-organisation
// sub-accounts, vouchers (制单 → 审核 → 记账, reversal instead of edits), period close and reopen, and reports
// computed from posted lines only: balances, ledgers, trial balance, 资产负债表 and 盈余及盈余分配表.
package books

import (
	"bufio"
	"embed"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Account categories (会计要素类别).
const (
	CatAsset     = "asset"
	CatLiability = "liability"
	CatEquity    = "equity"
	CatCost      = "cost"
	CatPL        = "pl"
)

// CategoryLabel is the Chinese name of a category.
func CategoryLabel(c string) string {
	switch c {
	case CatAsset:
		return "资产类"
	case CatLiability:
		return "负债类"
	case CatEquity:
		return "所有者权益类"
	case CatCost:
		return "成本类"
	case CatPL:
		return "损益类"
	}
	return c
}

// Normal sides.
const (
	Debit  = "debit"
	Credit = "credit"
)

// SideLabel is 借 or 贷.
func SideLabel(s string) string {
	if s == Credit {
		return "贷"
	}
	return "借"
}

// Account is one account of an organisation's chart: a chart account (level 1) or an organisation's sub-account
// (level 2, code "PARENT.NNN").
type Account struct {
	Code     string `json:"code"`
	Name     string `json:"name"`
	Category string `json:"category" doc:"asset 资产 / liability 负债 / equity 所有者权益 / cost 成本 / pl 损益"`
	Side     string `json:"side" doc:"余额方向：debit 借 / credit 贷"`
	Level    int    `json:"level"`
	Parent   string `json:"parent,omitempty"`
	FullName string `json:"full_name" doc:"含上级科目的名称，如 成员往来-张三"`
}

// CategoryLabel is the Chinese name of the account's category.
func (a Account) CategoryLabel() string { return CategoryLabel(a.Category) }

// SideLabel is 借 or 贷.
func (a Account) SideLabel() string { return SideLabel(a.Side) }

// Chart is a versioned chart of accounts.
type Chart struct {
	Version  string
	Title    string
	Accounts []Account
	byCode   map[string]*Account
}

// Account finds a chart account by code.
func (c *Chart) Account(code string) (Account, bool) {
	a, ok := c.byCode[code]
	if !ok {
		return Account{}, false
	}
	return *a, true
}

//go:embed chart/*.tsv
var chartFS embed.FS

// DefaultChart is the chart new books use.
const DefaultChart = "coop2023"

var charts = map[string]*Chart{}

func init() {
	c, err := loadChart("coop2023", "农民专业合作社会计制度（财会〔2021〕37号）")
	if err != nil {
		panic(err)
	}
	charts[c.Version] = c
}

func loadChart(version, title string) (*Chart, error) {
	f, err := chartFS.Open("chart/" + version + ".tsv")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	c := &Chart{Version: version, Title: title, byCode: map[string]*Account{}}
	sc := bufio.NewScanner(f)
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimRight(sc.Text(), "\r")
		if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#") {
			continue
		}
		cols := strings.Split(line, "\t")
		if len(cols) < 5 {
			return nil, fmt.Errorf("chart %s line %d: want 6 columns, have %d", version, n, len(cols))
		}
		lvl, err := strconv.Atoi(cols[4])
		if err != nil {
			return nil, fmt.Errorf("chart %s line %d: level: %w", version, n, err)
		}
		a := Account{Code: cols[0], Name: cols[1], Category: cols[2], Side: cols[3], Level: lvl, FullName: cols[1]}
		if len(cols) > 5 {
			a.Parent = cols[5]
		}
		switch a.Category {
		case CatAsset, CatLiability, CatEquity, CatCost, CatPL:
		default:
			return nil, fmt.Errorf("chart %s line %d: category %q", version, n, a.Category)
		}
		if a.Side != Debit && a.Side != Credit {
			return nil, fmt.Errorf("chart %s line %d: side %q", version, n, a.Side)
		}
		if _, dup := c.byCode[a.Code]; dup {
			return nil, fmt.Errorf("chart %s line %d: duplicate code %s", version, n, a.Code)
		}
		c.Accounts = append(c.Accounts, a)
		c.byCode[a.Code] = &c.Accounts[len(c.Accounts)-1]
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	// re-point the index at the final slice (append may have moved it)
	for i := range c.Accounts {
		c.byCode[c.Accounts[i].Code] = &c.Accounts[i]
	}
	return c, nil
}

// ChartOf returns a chart by version (the default one when unknown).
func ChartOf(version string) *Chart {
	if c, ok := charts[version]; ok {
		return c
	}
	return charts[DefaultChart]
}

// Kinds of organisation that can be put under bookkeeping service (registry kind codes).
var ServiceKinds = []string{"cooperative", "village_collective", "family_farm"}

// Book statuses.
const (
	BookActive  = "active"
	BookStopped = "stopped"
)

// Book is one organisation under bookkeeping service (统一财务代账).
type Book struct {
	ID             int64     `json:"id"`
	SubjectID      int64     `json:"subject_id"`
	Name           string    `json:"name"`
	Kind           string    `json:"kind"`
	KindLabel      string    `json:"kind_label"`
	RegionCode     string    `json:"region_code"`
	RegionName     string    `json:"region_name"`
	Chart          string    `json:"chart" doc:"科目表版本"`
	StartPeriod    string    `json:"start_period" doc:"建账期间 YYYY-MM"`
	BookkeeperID   int64     `json:"bookkeeper_id"`
	BookkeeperName string    `json:"bookkeeper_name"`
	Status         string    `json:"status" doc:"active 代账中 / stopped 已停止"`
	StatusLabel    string    `json:"status_label"`
	Note           string    `json:"note"`
	ClosedThrough  string    `json:"closed_through" doc:"已结账的最后期间"`
	Vouchers       int       `json:"vouchers" doc:"已记账凭证数"`
	Pending        int       `json:"pending" doc:"未记账凭证数"`
	CreatedAt      time.Time `json:"created_at"`
	UpdatedAt      time.Time `json:"updated_at"`
	countyCode     string
}

// BookStatusLabel is the Chinese label of a book status.
func BookStatusLabel(s string) string {
	if s == BookStopped {
		return "已停止"
	}
	return "代账中"
}

// BookInput puts an organisation under bookkeeping service.
type BookInput struct {
	SubjectID    int64  `json:"subject_id"`
	StartPeriod  string `json:"start_period" doc:"建账期间 YYYY-MM，默认本月"`
	BookkeeperID int64  `json:"bookkeeper_id" doc:"记账员用户编号，默认当前用户"`
	Bookkeeper   string `json:"bookkeeper" doc:"记账员姓名，默认当前用户"`
	Note         string `json:"note"`
}

// Voucher statuses.
const (
	StatusDraft    = "draft"
	StatusReviewed = "reviewed"
	StatusPosted   = "posted"
)

// StatusLabel is the Chinese label of a voucher status.
func StatusLabel(s string) string {
	switch s {
	case StatusDraft:
		return "待审核"
	case StatusReviewed:
		return "已审核"
	case StatusPosted:
		return "已记账"
	}
	return s
}

// Voucher kinds.
const (
	KindNormal   = "normal"
	KindReversal = "reversal" // 红字冲销
	KindCarry    = "carry"    // 期末结转（损益结转、盈余结转）
)

// Voucher is a 记账凭证.
type Voucher struct {
	ID           int64      `json:"id"`
	BookID       int64      `json:"book_id"`
	Period       string     `json:"period" doc:"会计期间 YYYY-MM"`
	Date         string     `json:"date" doc:"凭证日期 YYYY-MM-DD"`
	Number       int        `json:"number" doc:"凭证号（记账时按组织和期间连续编号；未记账为 0）"`
	Word         string     `json:"word" doc:"凭证字号，如 记-2026-03-0012"`
	Summary      string     `json:"summary"`
	Status       string     `json:"status" doc:"draft 待审核 / reviewed 已审核 / posted 已记账"`
	StatusLabel  string     `json:"status_label"`
	Kind         string     `json:"kind" doc:"normal 普通 / reversal 红字冲销 / carry 期末结转 / opening 期初建账"`
	ReversesID   int64      `json:"reverses_id,omitempty"`
	ReversedByID int64      `json:"reversed_by_id,omitempty"`
	Attachments  int        `json:"attachments" doc:"附单据张数"`
	DebitTotal   int64      `json:"debit_total" doc:"借方合计（分）"`
	CreditTotal  int64      `json:"credit_total" doc:"贷方合计（分）"`
	MakerID      int64      `json:"maker_id"`
	MakerName    string     `json:"maker_name"`
	MadeAt       time.Time  `json:"made_at"`
	ReviewerID   int64      `json:"reviewer_id,omitempty"`
	ReviewerName string     `json:"reviewer_name,omitempty"`
	ReviewedAt   *time.Time `json:"reviewed_at,omitempty"`
	PosterID     int64      `json:"poster_id,omitempty"`
	PosterName   string     `json:"poster_name,omitempty"`
	PostedAt     *time.Time `json:"posted_at,omitempty"`
	Lines        []Line     `json:"lines,omitempty"`
}

// Badge is the design-system badge class of the status.
func (v Voucher) Badge() string {
	switch v.Status {
	case StatusPosted:
		return "ok"
	case StatusReviewed:
		return "info"
	}
	return "warn"
}

// KindLabel is the Chinese label of the kind.
func (v Voucher) KindLabel() string {
	switch v.Kind {
	case KindReversal:
		return "红字冲销"
	case KindCarry:
		return "期末结转"
	case KindOpening:
		return "期初建账"
	}
	return ""
}

// Line is one line of a voucher; exactly one of Debit and Credit is non-zero. Amounts are in 分; only reversal
// vouchers (红字) carry negative amounts.
type Line struct {
	LineNo      int    `json:"line_no"`
	AccountCode string `json:"account_code"`
	AccountName string `json:"account_name"`
	Debit       int64  `json:"debit" doc:"借方金额（分）"`
	Credit      int64  `json:"credit" doc:"贷方金额（分）"`
	Memo        string `json:"memo"`
	MemberID    int64  `json:"member_id,omitempty" doc:"相关成员（本社成员名册编号，可选）"`
	MemberName  string `json:"member_name,omitempty" doc:"相关成员姓名（可选）"`
}

// VoucherInput creates or changes a draft voucher.
type VoucherInput struct {
	Date        string      `json:"date" doc:"YYYY-MM-DD"`
	Summary     string      `json:"summary"`
	Attachments int         `json:"attachments"`
	Lines       []LineInput `json:"lines"`
}

// LineInput is one line of a VoucherInput; amounts in 分.
type LineInput struct {
	AccountCode string `json:"account_code"`
	Debit       int64  `json:"debit"`
	Credit      int64  `json:"credit"`
	Memo        string `json:"memo"`
	MemberID    int64  `json:"member_id"`
	MemberName  string `json:"member_name"`
}

// VoucherFilter selects vouchers of one book.
type VoucherFilter struct {
	Period  string
	Status  string
	Page    int
	PerPage int
}

// Close is a closed period.
type Close struct {
	Period       string    `json:"period"`
	ClosedAt     time.Time `json:"closed_at"`
	ClosedByName string    `json:"closed_by_name"`
}

// FormatYuan writes fen as 1,234.56 (no unit), exactly.
func FormatYuan(fen int64) string {
	neg := fen < 0
	if neg {
		fen = -fen
	}
	ip := strconv.FormatInt(fen/100, 10)
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	for i, c := range ip {
		if i > 0 && (len(ip)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	fmt.Fprintf(&b, ".%02d", fen%100)
	return b.String()
}

// ParseYuan reads an amount in 元 ("1,234.5", "１２３", "-8.00") into 分 without floating point. Empty is 0.
func ParseYuan(s string) (int64, error) {
	s = strings.TrimSpace(normalizeDigits(s))
	s = strings.NewReplacer(",", "", "，", "", " ", "", "元", "", "¥", "", "￥", "").Replace(s)
	if s == "" {
		return 0, nil
	}
	neg := false
	if strings.HasPrefix(s, "-") {
		neg = true
		s = s[1:]
	}
	ip, fp, _ := strings.Cut(s, ".")
	if ip == "" {
		ip = "0"
	}
	if len(fp) > 2 || !allDigits(ip) || !allDigits(fp) || len(ip) > 13 {
		return 0, fmt.Errorf("金额格式不正确：%s", s)
	}
	for len(fp) < 2 {
		fp += "0"
	}
	n, err := strconv.ParseInt(ip+fp, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("金额格式不正确：%s", s)
	}
	if neg {
		n = -n
	}
	return n, nil
}

func allDigits(s string) bool {
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

func normalizeDigits(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= '０' && r <= '９':
			return '0' + (r - '０')
		case r == '．':
			return '.'
		case r == '－':
			return '-'
		}
		return r
	}, s)
}

// ParsePeriod validates "YYYY-MM".
func ParsePeriod(s string) (string, error) {
	s = strings.TrimSpace(s)
	t, err := time.Parse("2006-01", s)
	if err != nil || t.Year() < 1990 || t.Year() > 2200 {
		return "", fmt.Errorf("期间应为 YYYY-MM 格式，如 2026-03")
	}
	return t.Format("2006-01"), nil
}

// NextPeriod is the month after p ("2026-12" → "2027-01").
func NextPeriod(p string) string {
	t, err := time.Parse("2006-01", p)
	if err != nil {
		return p
	}
	return t.AddDate(0, 1, 0).Format("2006-01")
}

// PrevPeriod is the month before p.
func PrevPeriod(p string) string {
	t, err := time.Parse("2006-01", p)
	if err != nil {
		return p
	}
	return t.AddDate(0, -1, 0).Format("2006-01")
}

// PeriodLabel shows 2026-03 as 2026年3月.
func PeriodLabel(p string) string {
	t, err := time.Parse("2006-01", p)
	if err != nil {
		return p
	}
	return fmt.Sprintf("%d年%d月", t.Year(), int(t.Month()))
}

//go:embed exemplary/*.tsv
var exemplaryFS embed.FS
