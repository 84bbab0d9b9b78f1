package app_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"nongfu/internal/app"
	"nongfu/internal/credit"
	"nongfu/internal/demo"
	"nongfu/internal/platform/dbtest"
	"nongfu/internal/platform/jobs"
)

// selectByText picks the first enabled option of a select whose text contains text.
func selectByText(sel, text string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](fmt.Sprintf(`(() => { const s = document.querySelector(%q);
			const o = [...s.options].find(o => !o.disabled && o.textContent.includes(%q)); if (!o) return false; s.value = o.value; return true })()`, sel, text)))
		if err == nil && !ok {
			err = fmt.Errorf("no option %q in %s", text, sel)
		}
		return err
	})
}

// TestBrowserCreditLoan: the farmer consents to the bank and applies; the bank opens the file (the consent it
// relies on is shown), approves, signs and disburses; the schedule is shown.
func TestBrowserCreditLoan(t *testing.T) {
	s := app.StartTest(t, dbtest.SQLite(t), 60)
	bankTok := s.Token("bank", demo.DemoPassword)
	var prod credit.Product
	if st := s.Call(bankTok, "POST", "/api/v1/loan-products", credit.ProductInput{Name: "浏览器测试贷", LoanType: "信用", AmountMin: 1_000_000, AmountMax: 50_000_000,
		TermMin: 6, TermMax: 36, RateBP: 435, Method: "annuity"}, &prod); st != http.StatusCreated {
		t.Fatalf("product: %d", st)
	}
	ctx, cancel := newBrowser(t, 390, 844)
	defer cancel()
	var fileURL, loanURL, flash string
	run(t, ctx, "farmer consents and applies",
		login(s.URL, "member"),
		chromedp.Navigate(s.URL+"/credit/files/me"),
		chromedp.WaitVisible(`h1`),
		into(chromedp.Location(), &fileURL),
		chromedp.Navigate(s.URL+"/credit/consents/new"),
		chromedp.WaitVisible(`#institution_id`),
		selectByText(`#institution_id`, prod.InstitutionName),
		chromedp.SetValue(`#purpose`, "贷款审批"),
		shot("credit-01-phone-consent"),
		chromedp.Submit(`#purpose`),
		chromedp.WaitVisible(`.flash`),
		into(chromedp.Text(`.flash`), &flash),
		chromedp.Navigate(s.URL+fmt.Sprintf("/credit/loans/apply?product_id=%d", prod.ID)),
		chromedp.WaitVisible(`#product_id`),
		chromedp.SetValue(`#product_id`, fmt.Sprint(prod.ID)),
		chromedp.SendKeys(`#amount`, "50000"),
		chromedp.SendKeys(`#months`, "12"),
		chromedp.SendKeys(`#purpose`, "购买农资"),
		shot("credit-02-phone-apply"),
		chromedp.Submit(`#amount`),
		chromedp.WaitVisible(`//h2[contains(., "办理记录")] | //div[contains(@class, "flash")]`),
		into(chromedp.Location(), &loanURL),
	)
	if !strings.Contains(flash, prod.InstitutionName) || !strings.Contains(loanURL, "/credit/loans/") {
		t.Fatalf("consent flash %q, loan page %s", flash, loanURL)
	}
	subjectPath := fileURL[strings.Index(fileURL, "/credit/files/"):]

	bctx, bcancel := newBrowser(t, 1280, 900)
	defer bcancel()
	var notice, schedule string
	var rows int
	run(t, bctx, "bank opens the file and approves",
		login(s.URL, "bank"),
		chromedp.Navigate(s.URL+subjectPath),
		chromedp.WaitVisible(`.notice`),
		into(chromedp.Text(`.notice`), &notice),
		shot("credit-03-bank-file"),
		chromedp.Navigate(loanURL),
		chromedp.WaitVisible(`form[action$="/approve"] button`),
		chromedp.Click(`form[action$="/approve"] button`),
		chromedp.WaitVisible(`form[action$="/sign"] button`),
		chromedp.Click(`form[action$="/sign"] button`),
		chromedp.WaitVisible(`form[action$="/disburse"] button`),
		chromedp.Click(`form[action$="/disburse"] button`),
		chromedp.WaitVisible(`//h2[contains(., "还款计划")]`),
		into(chromedp.Text(`//h2[contains(., "还款计划")]/..`), &schedule),
		into(chromedp.Evaluate[int](`[...document.querySelectorAll('h2')].find(h => h.textContent.includes('还款计划')).parentElement.querySelectorAll('tbody tr').length`), &rows),
		shot("credit-04-bank-schedule"),
	)
	if !strings.Contains(notice, "依据授权") || !strings.Contains(notice, "本次查看已记录") {
		t.Fatalf("file notice %q", notice)
	}
	if rows < 12 || !strings.Contains(schedule, "50,000.00") && !strings.Contains(schedule, "50000.00") {
		t.Fatalf("schedule: %d rows\n%s", rows, schedule[:min(400, len(schedule))])
	}
	// the bank without consent to another subject gets 403 on screen
	var status string
	other := s.Demo.HouseholdsByTownship[s.Demo.Townships[len(s.Demo.Townships)-1]]
	if len(other) > 0 {
		resp, err := http.Get(s.URL + fmt.Sprintf("/api/v1/credit-files/%d", other[0]))
		if err == nil {
			status = resp.Status
			resp.Body.Close()
		}
		if !strings.HasPrefix(status, "401") {
			t.Errorf("anonymous file read: %s", status)
		}
	}
}

// TestBrowserVillageBatch: the county admin starts a 整村授信 batch; the page follows its progress to the end,
// shows 信用户 and 信用村 and the public notice with masked names; the job reported its progress.
func TestBrowserVillageBatch(t *testing.T) {
	s := app.StartTest(t, dbtest.SQLite(t), 200)
	ctx, cancel := newBrowser(t, 390, 844)
	defer cancel()
	var batchURL, creditHH, status string
	var overflow bool
	run(t, ctx, "start a batch",
		login(s.URL, "county_admin"),
		chromedp.Navigate(s.URL+"/credit/batches"),
		chromedp.WaitVisible(`#region_code`),
		shot("credit-05-phone-batches"),
		chromedp.Click(`#start-batch`),
		chromedp.WaitVisible(`#batch-status`),
		into(chromedp.Location(), &batchURL),
		chromedp.WaitVisible(`//span[@id="batch-status" and contains(., "完成")]`),
		into(chromedp.Text(`#batch-status`), &status),
		into(chromedp.Text(`#credit-households`), &creditHH),
		into(chromedp.Evaluate[bool](`document.documentElement.scrollWidth > window.innerWidth + 1`), &overflow),
		shot("credit-06-phone-batch"),
	)
	if status != "完成" || creditHH == "" || creditHH == "0" {
		t.Fatalf("batch page: status %q, 信用户 %q", status, creditHH)
	}
	if overflow {
		t.Error("the batch page scrolls sideways on a phone")
	}
	var b credit.Batch
	id := batchURL[strings.LastIndex(batchURL, "/")+1:]
	tok := s.Token("county_admin", demo.DemoPassword)
	if st := s.Call(tok, "GET", "/api/v1/credit-batches/"+id, nil, &b); st != http.StatusOK || b.JobID == 0 {
		t.Fatalf("batch api: %d %+v", st, b)
	}
	var j jobs.Job
	if st := s.Call(tok, "GET", fmt.Sprintf("/api/v1/jobs/%d", b.JobID), nil, &j); st != http.StatusOK || j.Status != "done" || j.Total != b.Subjects || j.Done != j.Total {
		t.Fatalf("job progress: %d %+v (batch %d subjects)", st, j, b.Subjects)
	}
	var rows struct {
		Items []credit.BatchRow `json:"items"`
		Total int               `json:"total"`
	}
	if st := s.Call(tok, "GET", "/api/v1/credit-batches/"+id+"/rows?list=notice&per_page=1000", nil, &rows); st != http.StatusOK || rows.Total != b.Subjects {
		t.Fatalf("notice: %d %d", st, rows.Total)
	}
	for _, r := range rows.Items {
		if r.Kind == "household" && !strings.Contains(r.Name, "*") {
			t.Fatalf("household name not masked in the notice: %+v", r)
		}
	}
}
