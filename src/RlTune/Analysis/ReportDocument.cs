using System.Globalization;
using System.Net;
using System.Text;
using System.Text.RegularExpressions;

namespace RlTune.Analysis;

/// <summary>
/// A study report as a list of blocks, written once and rendered twice: Markdown
/// (<c>analysis/report.md</c>, pictures linked) and one self-contained HTML page (pictures embedded).
/// Paragraph text uses Markdown's inline marks (<c>`code`</c>, <c>**bold**</c>, <c>[text](absolute path)</c>);
/// table cells and captions are plain text.
/// </summary>
public sealed record ReportDocument(string Title, IReadOnlyList<ReportBlock> Blocks);

public abstract record ReportBlock;

public sealed record ReportHeading(string Text) : ReportBlock;

/// <summary>A paragraph; <see cref="Note"/> stands out (a warning or a message instead of results).</summary>
public sealed record ReportParagraph(string Text, bool Note = false) : ReportBlock;

public sealed record ReportList(IReadOnlyList<string> Items) : ReportBlock;

/// <summary>Links to the study's report files, each "[name](absolute path): what it is"; a rendering leaves out the link to itself.</summary>
public sealed record ReportLinks(IReadOnlyList<string> Items) : ReportBlock;

/// <summary>A table of plain-text cells; <see cref="Numeric"/> columns are right-aligned, <see cref="Flag"/> is the column of reward-hacking flags.</summary>
public sealed record ReportTable(IReadOnlyList<string> Header, IReadOnlyList<IReadOnlyList<string>> Rows, IReadOnlySet<int> Numeric, int? Flag = null) : ReportBlock;

/// <summary>One picture (a PNG on disk) with its title and caption.</summary>
public sealed record ReportFigure(string Title, string Path, string Caption) : ReportBlock;

/// <summary>Pictures of one kind under one heading and caption (the slices), side by side in HTML.</summary>
public sealed record ReportFigureGroup(string Title, string Caption, IReadOnlyList<ReportFigure> Figures) : ReportBlock;

/// <summary>The two renderings of a <see cref="ReportDocument"/>.</summary>
public static class ReportRendering
{
    public static string Markdown(ReportDocument doc, string filePath)
    {
        var fileDir = Path.GetDirectoryName(Path.GetFullPath(filePath))!;
        var sb = new StringBuilder();
        sb.Append("# ").Append(doc.Title).Append('\n');
        foreach (var block in doc.Blocks)
        {
            sb.Append('\n');
            switch (block)
            {
                case ReportHeading h: sb.Append("## ").Append(h.Text).Append('\n'); break;
                case ReportParagraph { Note: true } p: sb.Append("**").Append(MarkdownLinks(p.Text, fileDir)).Append("**\n"); break;
                case ReportParagraph p: sb.Append(MarkdownLinks(p.Text, fileDir)).Append('\n'); break;
                case ReportLinks l: sb.Append(MarkdownLinks(Others(l, filePath), fileDir)).Append('\n'); break;
                case ReportList l:
                    foreach (var item in l.Items) sb.Append("- ").Append(MarkdownLinks(item, fileDir)).Append('\n');
                    break;
                case ReportTable t:
                    sb.Append("| ").Append(string.Join(" | ", t.Header)).Append(" |\n|").Append(string.Concat(t.Header.Select(_ => "---|"))).Append('\n');
                    foreach (var row in t.Rows) sb.Append("| ").Append(string.Join(" | ", row)).Append(" |\n");
                    break;
                case ReportFigure f:
                    sb.Append("## ").Append(f.Title).Append("\n\n").Append(f.Caption).Append("\n\n").Append(Image(f, fileDir)).Append('\n');
                    break;
                case ReportFigureGroup g:
                    sb.Append("## ").Append(g.Title).Append("\n\n").Append(g.Caption).Append("\n\n");
                    foreach (var f in g.Figures) sb.Append(Image(f, fileDir)).Append('\n');
                    break;
            }
        }
        return sb.ToString();
    }

    public static string Html(ReportDocument doc, string filePath)
    {
        var fileDir = Path.GetDirectoryName(Path.GetFullPath(filePath))!;
        var sb = new StringBuilder();
        sb.Append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>").Append(H(doc.Title)).Append("</title>\n<style>\n")
          .Append("body{font-family:'DejaVu Sans',Arial,sans-serif;max-width:1150px;margin:2em auto;padding:0 1em;color:#222}")
          .Append("table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:.25em .6em;text-align:left}th{background:#f2f2f2}")
          .Append("td.num{text-align:right;font-variant-numeric:tabular-nums}.note{background:#fff4d6;border-left:4px solid #e0a800;padding:.6em 1em}")
          .Append(".flag,li b{color:#b00020;font-weight:bold}figure{margin:1em 0}figure img{max-width:100%;border:1px solid #ddd}figcaption{color:#555;font-size:.9em}")
          .Append(".grid{display:flex;flex-wrap:wrap;gap:12px}.grid figure{flex:1 1 520px;max-width:560px}\n</style></head><body>\n");
        sb.Append("<h1>").Append(H(doc.Title)).Append("</h1>\n");
        foreach (var block in doc.Blocks)
        {
            switch (block)
            {
                case ReportHeading h: sb.Append("<h2>").Append(H(h.Text)).Append("</h2>\n"); break;
                case ReportParagraph p: sb.Append(p.Note ? "<p class=\"note\">" : "<p>").Append(Inline(p.Text, fileDir)).Append("</p>\n"); break;
                case ReportLinks l: sb.Append("<p>").Append(Inline(Others(l, filePath), fileDir)).Append("</p>\n"); break;
                case ReportList l:
                    sb.Append("<ul>\n");
                    foreach (var item in l.Items) sb.Append("<li>").Append(Inline(item, fileDir)).Append("</li>\n");
                    sb.Append("</ul>\n");
                    break;
                case ReportTable t:
                    sb.Append("<table><tr>").Append(string.Concat(t.Header.Select(c => $"<th>{H(c)}</th>"))).Append("</tr>\n");
                    foreach (var row in t.Rows)
                    {
                        sb.Append("<tr>");
                        for (var i = 0; i < row.Count; i++)
                            sb.Append(i == t.Flag ? "<td class=\"flag\">" : t.Numeric.Contains(i) ? "<td class=\"num\">" : "<td>").Append(H(row[i])).Append("</td>");
                        sb.Append("</tr>\n");
                    }
                    sb.Append("</table>\n");
                    break;
                case ReportFigure f:
                    sb.Append("<h2>").Append(H(f.Title)).Append("</h2>\n<figure>").Append(EmbeddedImage(f)).Append("<figcaption>").Append(H(f.Caption)).Append("</figcaption></figure>\n");
                    break;
                case ReportFigureGroup g:
                    sb.Append("<h2>").Append(H(g.Title)).Append("</h2>\n<p>").Append(H(g.Caption)).Append("</p>\n<div class=\"grid\">\n");
                    foreach (var f in g.Figures) sb.Append("<figure>").Append(EmbeddedImage(f)).Append("</figure>\n");
                    sb.Append("</div>\n");
                    break;
            }
        }
        sb.Append("</body></html>\n");
        return sb.ToString();
    }

    // [text](absolute path) in the document; each rendering links relative to where its file lives
    private static readonly Regex Link = new(@"\[([^\]]+)\]\(([^)]+)\)", RegexOptions.CultureInvariant);

    private static string Others(ReportLinks links, string filePath)
    {
        var self = Path.GetFullPath(filePath);
        var others = links.Items.Where(item => Link.Match(item) is not { Success: true } m || Path.GetFullPath(m.Groups[2].Value) != self);
        return "Also: " + string.Join("; ", others) + ".";
    }

    private static string Relative(string target, string fileDir) =>
        Path.IsPathRooted(target) ? Path.GetRelativePath(fileDir, target).Replace('\\', '/') : target;

    private static string MarkdownLinks(string text, string fileDir) =>
        Link.Replace(text, m => $"[{m.Groups[1].Value}]({Relative(m.Groups[2].Value, fileDir)})");

    private static string Inline(string text, string fileDir)
    {
        var html = H(text);
        html = Link.Replace(html, m => $"<a href=\"{H(Relative(WebUtility.HtmlDecode(m.Groups[2].Value), fileDir))}\">{m.Groups[1].Value}</a>");
        html = Regex.Replace(html, "`([^`]+)`", "<code>$1</code>", RegexOptions.CultureInvariant);
        return Regex.Replace(html, @"\*\*([^*]+)\*\*", "<b>$1</b>", RegexOptions.CultureInvariant);
    }

    private static string Image(ReportFigure f, string fileDir) => $"![{f.Title}]({Relative(f.Path, fileDir)})";

    private static string EmbeddedImage(ReportFigure f) =>
        $"<img alt=\"{H(f.Title)}\" src=\"data:image/png;base64,{Convert.ToBase64String(File.ReadAllBytes(f.Path))}\">";

    private static string H(string s) => WebUtility.HtmlEncode(s);

    /// <summary>When a report was written, for its last line.</summary>
    public static string Stamp(DateTime utc) => utc.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture);
}
