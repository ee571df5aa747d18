package collect

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"k8s.io/client-go/util/jsonpath"
)

// pager reads the pages of a list, one after the other, and adds their
// items to an accumulator.
type pager struct {
	plan   *httpPlan
	client *http.Client
	header http.Header
	first  *url.URL
	body   []byte // the first page's body (POST), placeholders filled
}

// collect reads the first page and, with pagination, the next ones until
// the list ends or maxPages pages are read, and returns the aggregate of
// all their items. A page that fails fails the run, naming the page (its
// number, counting from 1): no value is better than one over part of a
// list nobody knows is partial. maxPages reached with pages left is not a
// failure: the value covers the pages read, and a Warning says so.
func (pg *pager) collect(ctx context.Context, acc *accumulator) (Outcome, error) {
	p := pg.plan
	u, body := pg.first, pg.body
	seen := map[string]bool{}
	for page := 1; ; page++ {
		seen[pageKey(u, body)] = true
		data, err := fetch(ctx, pg.client, p.method, u, body, pg.header)
		if err != nil {
			return Outcome{}, pg.onPage(page, err)
		}
		doc, err := decodeDocument(data)
		if err != nil {
			return Outcome{}, pg.onPage(page, err)
		}
		if err := pg.addItems(ctx, acc, doc, page); err != nil {
			return Outcome{}, pg.onPage(page, err)
		}
		if p.pages == nil {
			return acc.outcome(), nil
		}
		nextU, nextBody, more, err := pg.next(doc, u)
		if err != nil {
			return Outcome{}, pg.onPage(page, err)
		}
		if !more {
			return acc.outcome(), nil
		}
		if page >= p.maxPages {
			out := acc.outcome()
			out.Warning = fmt.Sprintf("read %d pages (maxPages) and more remain: the value covers those %d pages only", page, page)
			return out, nil
		}
		if seen[pageKey(nextU, nextBody)] {
			return Outcome{}, pg.onPage(page, errorf(ErrInvalidResponse, "the next page is one already read (the list loops)"))
		}
		u, body = nextU, nextBody
	}
}

// pageKey identifies a request, to tell a list that loops.
func pageKey(u *url.URL, body []byte) string { return u.String() + "\x00" + string(body) }

// onPage names the page in a paginated source's error.
func (pg *pager) onPage(page int, err *Error) *Error {
	if pg.plan.pages == nil {
		return err
	}
	e := *err
	e.Message = truncate(fmt.Sprintf("page %d: %s", page, err.Message))
	if err.Note != "" {
		e.Note = fmt.Sprintf("page %d: %s", page, err.Note)
	}
	return &e
}

// addItems adds the items the JSONPath matches in one page.
func (pg *pager) addItems(ctx context.Context, acc *accumulator, doc any, page int) *Error {
	p := pg.plan
	items, err := findAll(doc, p.path, p.src.JSONPath)
	if err != nil {
		return err
	}
	if len(items) == 1 && isPlainPath(p.src.JSONPath) {
		if _, isList := items[0].([]any); isList {
			return errorf(ErrResult, "JSONPath %s matched one array; select its items with [*], for example %s", p.src.JSONPath, strings.TrimSuffix(p.src.JSONPath, "}")+"[*]}")
		}
	}
	for i, item := range items {
		if i%4096 == 4095 && ctx.Err() != nil {
			return classify(ctx.Err(), "")
		}
		at := func() string {
			if p.pages == nil {
				return fmt.Sprintf("item %d", i+1)
			}
			return fmt.Sprintf("item %d of page %d", i+1, page)
		}
		if err := acc.add(item, nil, at); err != nil {
			return err
		}
	}
	return nil
}

// isPlainPath reports whether a JSONPath names one field path (no index,
// wildcard, filter or recursive descent), which can match only one value:
// when that value is an array, the user meant its items.
func isPlainPath(expr string) bool {
	return !strings.ContainsAny(expr, "[*?") && !strings.Contains(expr, "..")
}

// next finds the next page: its URL and body, or more = false when the
// list ends (the link or cursor missing, null or empty, or hasMore false).
func (pg *pager) next(doc any, current *url.URL) (next *url.URL, body []byte, more bool, err *Error) {
	p := pg.plan
	if p.hasMore != nil {
		has, err := hasMore(doc, p.hasMore, p.pages.HasMore)
		if err != nil || !has {
			return nil, nil, false, err
		}
	}
	if p.nextURL != nil {
		link, ok, err := onePageValue(doc, p.nextURL, "pagination.nextURL", p.pages.NextURL, false)
		if err != nil || !ok {
			return nil, nil, false, err
		}
		ref, perr := url.Parse(link)
		if perr != nil {
			return nil, nil, false, errorf(ErrInvalidResponse, "the next-page link at %s is not a URL", p.pages.NextURL)
		}
		next = current.ResolveReference(ref)
		if next.Scheme != pg.first.Scheme || next.Host != pg.first.Host {
			e := errorf(ErrInvalidResponse, "the next-page link goes to another host (%s://%s); refused, so that credentials never leave %s",
				next.Scheme, next.Host, pg.first.Host)
			e.Note = "the next-page link goes to another host; refused"
			return nil, nil, false, e
		}
		return next, pg.body, true, nil
	}
	cursor, ok, err := onePageValue(doc, p.cursor, "pagination.cursor", p.pages.Cursor, true)
	if err != nil || !ok {
		return nil, nil, false, err
	}
	if name := p.pages.CursorParam; name != "" {
		u := *pg.first
		q := u.Query()
		q.Set(name, cursor)
		u.RawQuery = q.Encode()
		return &u, pg.body, true, nil
	}
	obj, berr := bodyObject(string(pg.body))
	if berr != nil {
		return nil, nil, false, errorf(ErrConfig, "%s.body: %v", p.field, berr)
	}
	b, berr := withBodyField(obj, p.pages.CursorBodyField, cursor)
	if berr != nil {
		return nil, nil, false, errorf(ErrConfig, "%s.pagination.cursorBodyField: %v", p.field, berr)
	}
	return pg.first, b, true, nil
}

// onePageValue reads the link or cursor of a page: ok is false when it is
// missing, null or empty (the last page). A cursor may be an integer.
func onePageValue(doc any, path *jsonpath.JSONPath, field, expr string, integers bool) (string, bool, *Error) {
	found, err := findAll(doc, path, expr)
	if err != nil {
		return "", false, err
	}
	switch len(found) {
	case 0:
		return "", false, nil
	case 1:
	default:
		return "", false, errorf(ErrInvalidResponse, "%s %s matched %d values; select one", field, expr, len(found))
	}
	switch x := found[0].(type) {
	case nil:
		return "", false, nil
	case string:
		return x, x != "", nil
	case int64:
		if integers {
			return strconv.FormatInt(x, 10), true, nil
		}
	}
	return "", false, errorf(ErrInvalidResponse, "%s %s is not a string", field, expr)
}

// hasMore reads the boolean that says whether pages follow; it must be
// there.
func hasMore(doc any, path *jsonpath.JSONPath, expr string) (bool, *Error) {
	found, err := findAll(doc, path, expr)
	if err != nil {
		return false, errorf(ErrInvalidResponse, "pagination.hasMore %s found nothing: %s", expr, strings.TrimPrefix(err.Message, "JSONPath "+expr+" found nothing: "))
	}
	if len(found) != 1 {
		return false, errorf(ErrInvalidResponse, "pagination.hasMore %s matched %d values; select one boolean", expr, len(found))
	}
	switch x := found[0].(type) {
	case bool:
		return x, nil
	case string:
		if b, perr := strconv.ParseBool(x); perr == nil {
			return b, nil
		}
	}
	return false, errorf(ErrInvalidResponse, "pagination.hasMore %s is not a boolean", expr)
}
