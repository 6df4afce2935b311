package export

import (
	"bytes"
	_ "embed"
	"html/template"
	"strconv"
	"strings"
)

//go:embed record.html.tmpl
var htmlSource string

// htmlTmpl escapes by context: every value a participant typed lands in
// text or attribute context and is escaped there. The page's CSP allows no
// script at all, should anything slip through.
var htmlTmpl = template.Must(template.New("record").Funcs(template.FuncMap{
	"w":    func(k string) string { return words[k] },
	"time": mdTime,
	"name": nameOr,
	"minutes": func(n int) string {
		return strings.Replace(words["minutes"], "{n}", strconv.Itoa(n), 1)
	},
	"title": func(t string) string { return strings.Replace(words["title"], "{title}", t, 1) },
	// phrase fills the sentence with escaped names and marks the result safe.
	"phrase": func(a Activity) template.HTML { return template.HTML(phrase(a, template.HTMLEscapeString)) },
}).Parse(htmlSource))

func renderHTML(r Record) ([]byte, error) {
	var b bytes.Buffer
	if err := htmlTmpl.Execute(&b, r); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}
