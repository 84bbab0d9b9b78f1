package app_test

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"nongfu/internal/app"
	"nongfu/internal/books"
	"nongfu/internal/demo"
	"nongfu/internal/platform/dbtest"
	"nongfu/internal/platform/web"
)

// TestBrowserBooks: a township bookkeeper enters a voucher with an unbalanced line — refused with the difference
// shown — fixes it and saves; a county admin reviews and posts it; the trial balance shows the new totals. With
// NONGFU_SCREENSHOTS set it also photographs the room's screens at phone and desktop width.
func TestBrowserBooks(t *testing.T) {
	s := app.StartTest(t, dbtest.SQLite(t), 200)
	admin := s.Token("county_admin", demo.DemoPassword)
	op := s.Token("township_operator", demo.DemoPassword)
	var list struct {
		Items []books.Book `json:"items"`
	}
	if st := s.Call(op, "GET", "/api/v1/books", nil, &list); st != 200 || len(list.Items) == 0 {
		t.Fatalf("operator's books: %d %+v", st, list)
	}
	b := list.Items[0]
	per := time.Now().In(web.Shanghai).Format("2006-01")
	today := time.Now().In(web.Shanghai).Format("2006-01-02")
	var before books.TrialBalance
	if st := s.Call(admin, "GET", fmt.Sprintf("/api/v1/books/%d/trial-balance?period=%s", b.ID, per), nil, &before); st != 200 {
		t.Fatalf("trial balance: %d", st)
	}

	ctx, cancel := newBrowser(t, 1280, 900)
	defer cancel()
	var diffMsg, word, tbText string
	run(t, ctx, "operator: an unbalanced voucher is refused with the difference, then saved",
		login(s.URL, "township_operator"),
		chromedp.Navigate(fmt.Sprintf("%s/books/%d/vouchers/new", s.URL, b.ID)),
		chromedp.WaitVisible(`#summary`),
		chromedp.SetValue(`#date`, today),
		chromedp.SendKeys(`#summary`, "浏览器测试：提取备用金"),
		chromedp.SendKeys(`tbody tr:nth-child(1) input[name=account]`, "1001"),
		chromedp.SendKeys(`tbody tr:nth-child(1) input[name=debit]`, "1234.56"),
		chromedp.SendKeys(`tbody tr:nth-child(2) input[name=account]`, "1002"),
		chromedp.SendKeys(`tbody tr:nth-child(2) input[name=credit]`, "1200"),
		chromedp.Click(`button[value=save]`),
		chromedp.WaitVisible(`.field-error[role=alert]`),
		into(chromedp.Text(`.field-error[role=alert]`), &diffMsg),
		shot("books-01-unbalanced"),
		chromedp.SetValue(`tbody tr:nth-child(2) input[name=credit]`, "1234.56"),
		chromedp.Click(`button[value=save]`),
		chromedp.WaitVisible(`h1`),
		chromedp.WaitVisible(`.notice`), // "须由另一位同事审核"
		into(chromedp.Text(`h1`), &word),
	)
	if !strings.Contains(diffMsg, "相差 34.56 元") {
		t.Fatalf("difference not shown: %q", diffMsg)
	}
	if !strings.Contains(word, "记账凭证") {
		t.Fatalf("saved voucher page: %q", word)
	}

	ctx2, cancel2 := newBrowser(t, 1280, 900)
	defer cancel2()
	var status string
	run(t, ctx2, "admin: review and post; the trial balance updates",
		login(s.URL, "county_admin"),
		chromedp.Navigate(fmt.Sprintf("%s/books/%d?status=draft&period=%s", s.URL, b.ID, per)),
		chromedp.WaitVisible(`table`),
		chromedp.Click(`//a[contains(../../td[3], "浏览器测试")]`),
		chromedp.WaitVisible(`form[action$="/review"] button`),
		chromedp.Click(`form[action$="/review"] button`),
		chromedp.WaitVisible(`form[action$="/post"] button`),
		chromedp.Click(`form[action$="/post"] button`),
		chromedp.WaitVisible(`form[action$="/reverse"] button`),
		into(chromedp.Text(`.page-head .badge`), &status),
		shot("books-02-posted"),
		chromedp.Navigate(fmt.Sprintf("%s/books/%d?tab=trial&period=%s", s.URL, b.ID, per)),
		chromedp.WaitVisible(`.card h2`),
		into(chromedp.Text(`.card`), &tbText),
	)
	if !strings.Contains(status, "已记账") {
		t.Fatalf("status after posting: %q", status)
	}
	want := books.FormatYuan(before.PeriodDebitTotal + 123456)
	if !strings.Contains(tbText, want) || !strings.Contains(tbText, "平衡") {
		t.Fatalf("trial balance does not show the new period total %s:\n%s", want, tbText)
	}

	if dir := screenshotsDir(); dir != "" {
		booksScreens(t, s, b.ID)
	}
}

func screenshotsDir() string { return strings.TrimSpace(os.Getenv("NONGFU_SCREENSHOTS")) }

// booksScreens photographs the room's screens at phone and desktop width.
func booksScreens(t *testing.T, s *app.TestServer, bookID int64) {
	var members struct {
		Items []books.MemberAccount `json:"items"`
	}
	admin := s.Token("county_admin", demo.DemoPassword)
	last := time.Now().In(web.Shanghai).Year() - 1
	s.Call(admin, "GET", fmt.Sprintf("/api/v1/books/%d/members?year=%d", bookID, last), nil, &members)
	var ex struct {
		Items []books.Exemplary `json:"items"`
	}
	s.Call(admin, "GET", "/api/v1/exemplary", nil, &ex)
	wizardBook := bookID
	var all struct {
		Items []books.Book `json:"items"`
	}
	s.Call(admin, "GET", "/api/v1/books", nil, &all)
	for _, b := range all.Items {
		var ds struct {
			Items []books.Distribution `json:"items"`
		}
		if s.Call(admin, "GET", fmt.Sprintf("/api/v1/books/%d/distributions", b.ID), nil, &ds); len(ds.Items) == 0 {
			wizardBook = b.ID
		}
	}
	pages := map[string]string{
		"wizard":       fmt.Sprintf("/books/%d?tab=distribution&preview=1&year=%d&reserve=5000&return_pct=65", wizardBook, last),
		"members":      fmt.Sprintf("/books/%d?tab=members&year=%d", bookID, last),
		"shares":       fmt.Sprintf("/books/%d?tab=shares", bookID),
		"distribution": fmt.Sprintf("/books/%d?tab=distribution&preview=1&year=%d&reserve=1000&return_pct=60", bookID, last),
		"equity":       fmt.Sprintf("/books/%d?tab=equity&period=%d-12", bookID, last),
		"opening":      fmt.Sprintf("/books/%d?tab=opening", bookID),
		"exemplary":    "/exemplary",
	}
	if len(members.Items) > 1 {
		pages["member"] = fmt.Sprintf("/books/%d/members/%d?year=%d", bookID, members.Items[1].ID, last)
		pages["certificate"] = fmt.Sprintf("/books/%d/members/%d/certificate", bookID, members.Items[1].ID)
	}
	if len(ex.Items) > 0 {
		pages["exemplary-detail"] = fmt.Sprintf("/exemplary/%d", ex.Items[0].ID)
	}
	for _, w := range []struct {
		name          string
		width, height int
	}{{"phone", 390, 844}, {"desktop", 1280, 900}} {
		ctx, cancel := newBrowser(t, w.width, w.height)
		steps := []chromedp.Action[chromedp.Void]{login(s.URL, "county_admin")}
		for name, path := range pages {
			steps = append(steps, chromedp.Navigate(s.URL+path), chromedp.WaitVisible(`.page-head`), shot("books-"+name+"-"+w.name))
		}
		run(t, ctx, "screens "+w.name, steps...)
		cancel()
	}
}
