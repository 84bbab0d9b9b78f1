package app_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"nongfu/internal/app"
	"nongfu/internal/platform/dbtest"
	"nongfu/internal/platform/web"
)

// TestBrowserMarketFlow: the demo member posts a produce listing on a phone, picks the best-ranked buyer from the
// matches, drafts an order contract and signs its side; the county admin records the buyer's paper signature and
// the contract is in force; the public batch page of a brand works without login.
func TestBrowserMarketFlow(t *testing.T) {
	s := app.StartTest(t, dbtest.SQLite(t), 60)
	ctx, cancel := newBrowser(t, 390, 844)
	defer cancel()
	today := time.Now().In(web.Shanghai)
	var matchText, contractText, status string
	var url string
	run(t, ctx, "post a supply listing",
		login(s.URL, "member"),
		chromedp.Navigate(s.URL+"/market/listings"),
		chromedp.WaitVisible(chromedp.CSS(`#post`)),
		shot("market-01-phone-listings"),
	)
	run(t, ctx, "fill",
		chromedp.SetValue(chromedp.CSS(`#side`), "supply"),
		chromedp.SendKeys(chromedp.CSS(`#product`), "脆李"),
		chromedp.SetValue(chromedp.CSS(`#grade`), "一级"),
		chromedp.SendKeys(chromedp.CSS(`#quantity`), "3000"),
		chromedp.SetValue(chromedp.CSS(`#unit`), "公斤"),
		chromedp.SendKeys(chromedp.CSS(`#price`), "8.50"),
		chromedp.SetValue(chromedp.CSS(`#date_from`), today.Format("2006-01-02")),
		chromedp.SetValue(chromedp.CSS(`#date_to`), today.AddDate(0, 0, 30).Format("2006-01-02")),
	)
	run(t, ctx, "submit",
		chromedp.Click(chromedp.CSS(`#post button[type=submit]`)),
	)
	run(t, ctx, "wait match",
		chromedp.WaitVisible(chromedp.CSS(`.match`)),
		chromedp.WaitVisible(chromedp.CSS(`#matches`)),
		into(chromedp.Text(chromedp.CSS(`#matches`)), &matchText),
		shot("market-02-phone-matches"),
	)
	if !strings.Contains(matchText, "品名") || !strings.Contains(matchText, "时间窗口") || !strings.Contains(matchText, "公里") {
		t.Fatalf("match explanation: %q", matchText)
	}
	run(t, ctx, "draft a contract from the best match and sign",
		chromedp.Click(chromedp.CSS(`.match details summary`)),
		chromedp.WaitVisible(chromedp.CSS(`.match form.draft button[type=submit]`)),
		chromedp.Click(chromedp.CSS(`.match form.draft button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`#sign-seller`)),
		shot("market-03-phone-draft"),
		chromedp.Click(chromedp.CSS(`#sign-seller`)),
		chromedp.WaitNotPresent(chromedp.CSS(`#sign-seller`)),
		into(chromedp.Text(chromedp.CSS(`#status`)), &status),
		into(chromedp.Location(), &url),
	)
	if status != "待签订" {
		t.Fatalf("status after the seller signs: %q", status)
	}
	var ignored any
	run(t, ctx, "the county admin records the buyer's signature",
		into(chromedp.Evaluate[any](`document.querySelector('form[action="/logout"]').submit()`), &ignored),
		chromedp.WaitVisible(chromedp.CSS(`#username`)),
		login(s.URL, "county_admin"),
		chromedp.Navigate(url),
		chromedp.WaitVisible(chromedp.CSS(`#sign-buyer`)),
		chromedp.Click(chromedp.CSS(`#sign-buyer`)),
		chromedp.WaitNotPresent(chromedp.CSS(`#sign-buyer`)),
		into(chromedp.Text(chromedp.CSS(`#status`)), &status),
		into(chromedp.Text(chromedp.CSS(`main`)), &contractText),
		shot("market-04-phone-signed"),
	)
	if status != "履约中" || !strings.Contains(contractText, "条款不可更改") {
		t.Fatalf("signed contract: %q %q", status, contractText[:min(400, len(contractText))])
	}
	if !strings.Contains(contractText, "代签录入") {
		t.Errorf("staff signature not marked as recorded on behalf: %q", contractText[:min(600, len(contractText))])
	}
	var code string
	if err := s.DB.QueryRowContext(context.Background(), `SELECT code FROM market_batches ORDER BY id LIMIT 1`).Scan(&code); err != nil {
		t.Fatal(err)
	}
	var traceText string
	run(t, ctx, "public batch page",
		into(chromedp.Evaluate[any](`document.querySelector('form[action="/logout"]').submit()`), &ignored),
		chromedp.WaitVisible(chromedp.CSS(`#username`)),
		chromedp.Navigate(s.URL+"/trace/"+code),
		chromedp.WaitVisible(chromedp.CSS(`.trace .qr img`)),
		into(chromedp.Text(chromedp.CSS(`main`)), &traceText),
		shot("market-05-phone-trace"),
	)
	if !strings.Contains(traceText, code) || !strings.Contains(traceText, "生产者") || strings.Contains(traceText, "退出") {
		t.Fatalf("trace page: %q", traceText)
	}
}
