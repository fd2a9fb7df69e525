using System.Globalization;

namespace RlTune.Search;

/// <summary>A constraint that does not parse; <see cref="Column"/> is 1-based within the expression.</summary>
public sealed class ConstraintSyntaxException(string message, int column) : FormatException(message)
{
    public int Column { get; } = column;
}

/// <summary>
/// A node of a parsed constraint. Evaluation is pure arithmetic over named numbers (booleans are
/// 1 and 0); there are no calls, attributes or strings, so an expression cannot run code.
/// </summary>
internal abstract record ConstraintNode
{
    public abstract double Eval(Func<string, double> valueOf);
    public abstract void CollectNames(ISet<string> names);
}

internal sealed record NumberNode(double Value) : ConstraintNode
{
    public override double Eval(Func<string, double> valueOf) => Value;
    public override void CollectNames(ISet<string> names) { }
}

internal sealed record NameNode(string Name, int Column) : ConstraintNode
{
    public override double Eval(Func<string, double> valueOf) => valueOf(Name);
    public override void CollectNames(ISet<string> names) => names.Add(Name);
}

internal sealed record UnaryNode(string Op, ConstraintNode Operand) : ConstraintNode
{
    public override double Eval(Func<string, double> valueOf)
    {
        var v = Operand.Eval(valueOf);
        return Op switch { "-" => -v, "+" => v, _ => v != 0 ? 0 : 1 };
    }
    public override void CollectNames(ISet<string> names) => Operand.CollectNames(names);
}

internal sealed record BinaryNode(string Op, ConstraintNode Left, ConstraintNode Right) : ConstraintNode
{
    public override double Eval(Func<string, double> valueOf)
    {
        var a = Left.Eval(valueOf);
        // and/or short-circuit like Python, but always yield 1 or 0
        if (Op == "and") return a != 0 && Right.Eval(valueOf) != 0 ? 1 : 0;
        if (Op == "or") return a != 0 || Right.Eval(valueOf) != 0 ? 1 : 0;
        var b = Right.Eval(valueOf);
        return Op switch
        {
            "+" => a + b,
            "-" => a - b,
            "*" => a * b,
            "/" => a / b,
            "<" => a < b ? 1 : 0,
            "<=" => a <= b ? 1 : 0,
            ">" => a > b ? 1 : 0,
            ">=" => a >= b ? 1 : 0,
            "==" => a == b ? 1 : 0,
            "!=" => a != b ? 1 : 0,
            _ => throw new InvalidOperationException($"unknown operator {Op}"),
        };
    }
    public override void CollectNames(ISet<string> names) { Left.CollectNames(names); Right.CollectNames(names); }
}

/// <summary>
/// Recursive-descent parser for constraint expressions: <c>or</c> &lt; <c>and</c> &lt; <c>not</c> &lt;
/// comparisons (chainable, as in Python) &lt; + - &lt; * / &lt; unary minus; numbers in decimal or
/// scientific notation, parameter names, <c>true</c>/<c>false</c>, parentheses.
/// Hand-written because the grammar is tiny and must never evaluate anything but arithmetic.
/// </summary>
internal sealed class ConstraintParser
{
    private enum TokenKind { Number, Name, Op, LParen, RParen, End }
    private readonly record struct Token(TokenKind Kind, string Text, double Number, int Column);

    private readonly List<Token> _tokens;
    private int _pos;

    private ConstraintParser(string text)
    {
        _tokens = Tokenize(text);
    }

    public static ConstraintNode Parse(string text)
    {
        if (string.IsNullOrWhiteSpace(text)) throw new ConstraintSyntaxException("the expression is empty", 1);
        var p = new ConstraintParser(text);
        var node = p.ParseOr();
        var t = p.Peek;
        if (t.Kind != TokenKind.End) throw new ConstraintSyntaxException($"unexpected '{t.Text}' at column {t.Column}", t.Column);
        return node;
    }

    private Token Peek => _tokens[_pos];
    private Token Next() => _tokens[_pos++];
    private bool IsOp(params string[] ops) => Peek.Kind == TokenKind.Op && ops.Contains(Peek.Text);

    private ConstraintNode ParseOr()
    {
        var left = ParseAnd();
        while (IsOp("or")) { Next(); left = new BinaryNode("or", left, ParseAnd()); }
        return left;
    }

    private ConstraintNode ParseAnd()
    {
        var left = ParseNot();
        while (IsOp("and")) { Next(); left = new BinaryNode("and", left, ParseNot()); }
        return left;
    }

    private ConstraintNode ParseNot()
    {
        if (IsOp("not")) { Next(); return new UnaryNode("not", ParseNot()); }
        return ParseComparison();
    }

    private static readonly string[] Comparisons = ["<", "<=", ">", ">=", "==", "!="];

    private ConstraintNode ParseComparison()
    {
        var left = ParseSum();
        ConstraintNode? result = null;
        // a < b < c means a < b and b < c
        while (IsOp(Comparisons))
        {
            var op = Next().Text;
            var right = ParseSum();
            var cmp = new BinaryNode(op, left, right);
            result = result is null ? cmp : new BinaryNode("and", result, cmp);
            left = right;
        }
        return result ?? left;
    }

    private ConstraintNode ParseSum()
    {
        var left = ParseTerm();
        while (IsOp("+", "-")) { var op = Next().Text; left = new BinaryNode(op, left, ParseTerm()); }
        return left;
    }

    private ConstraintNode ParseTerm()
    {
        var left = ParseUnary();
        while (IsOp("*", "/")) { var op = Next().Text; left = new BinaryNode(op, left, ParseUnary()); }
        return left;
    }

    private ConstraintNode ParseUnary()
    {
        if (IsOp("-", "+")) { var op = Next().Text; return new UnaryNode(op, ParseUnary()); }
        return ParsePrimary();
    }

    private ConstraintNode ParsePrimary()
    {
        var t = Next();
        switch (t.Kind)
        {
            case TokenKind.Number:
                return new NumberNode(t.Number);
            case TokenKind.Name:
                var lower = t.Text.ToLowerInvariant();
                if (lower == "true") return new NumberNode(1);
                if (lower == "false") return new NumberNode(0);
                if (Peek.Kind == TokenKind.LParen)
                    throw new ConstraintSyntaxException($"'{t.Text}(' at column {t.Column} looks like a function call, which constraints do not allow", t.Column);
                return new NameNode(t.Text, t.Column);
            case TokenKind.LParen:
                var inner = ParseOr();
                var close = Next();
                if (close.Kind != TokenKind.RParen)
                    throw new ConstraintSyntaxException(close.Kind == TokenKind.End
                        ? $"missing ')' at column {close.Column} to close the '(' at column {t.Column}"
                        : $"expected ')' at column {close.Column} but found '{close.Text}'", close.Column);
                return inner;
            case TokenKind.End:
                throw new ConstraintSyntaxException($"the expression ends early at column {t.Column}; a number, name or '(' was expected", t.Column);
            default:
                throw new ConstraintSyntaxException($"unexpected '{t.Text}' at column {t.Column}; a number, name or '(' was expected", t.Column);
        }
    }

    private static readonly HashSet<string> WordOps = ["and", "or", "not"];

    private static List<Token> Tokenize(string text)
    {
        var tokens = new List<Token>();
        var i = 0;
        while (i < text.Length)
        {
            var c = text[i];
            var col = i + 1;
            if (char.IsWhiteSpace(c)) { i++; continue; }
            if (char.IsAsciiDigit(c) || (c == '.' && i + 1 < text.Length && char.IsAsciiDigit(text[i + 1])))
            {
                var start = i;
                while (i < text.Length && (char.IsAsciiDigit(text[i]) || text[i] == '.')) i++;
                if (i < text.Length && (text[i] == 'e' || text[i] == 'E'))
                {
                    var j = i + 1;
                    if (j < text.Length && (text[j] == '+' || text[j] == '-')) j++;
                    if (j < text.Length && char.IsAsciiDigit(text[j]))
                    {
                        i = j;
                        while (i < text.Length && char.IsAsciiDigit(text[i])) i++;
                    }
                }
                var s = text[start..i];
                if (!double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var num))
                    throw new ConstraintSyntaxException($"'{s}' at column {col} is not a number", col);
                if (i < text.Length && (char.IsAsciiLetter(text[i]) || text[i] == '_'))
                    throw new ConstraintSyntaxException($"unexpected '{text[i]}' right after the number at column {col}", i + 1);
                tokens.Add(new Token(TokenKind.Number, s, num, col));
                continue;
            }
            if (char.IsAsciiLetter(c) || c == '_')
            {
                var start = i;
                while (i < text.Length && (char.IsAsciiLetterOrDigit(text[i]) || text[i] == '_')) i++;
                var word = text[start..i];
                tokens.Add(WordOps.Contains(word) ? new Token(TokenKind.Op, word, 0, col) : new Token(TokenKind.Name, word, 0, col));
                continue;
            }
            if (c == '(') { tokens.Add(new Token(TokenKind.LParen, "(", 0, col)); i++; continue; }
            if (c == ')') { tokens.Add(new Token(TokenKind.RParen, ")", 0, col)); i++; continue; }
            var two = i + 1 < text.Length ? text.Substring(i, 2) : "";
            if (two is "<=" or ">=" or "==" or "!=")
            {
                tokens.Add(new Token(TokenKind.Op, two, 0, col));
                i += 2;
                continue;
            }
            if (c is '<' or '>' or '+' or '-' or '*' or '/')
            {
                if (c == '*' && two == "**")
                    throw new ConstraintSyntaxException($"'**' at column {col} is not supported (use + - * / only)", col);
                tokens.Add(new Token(TokenKind.Op, c.ToString(), 0, col));
                i++;
                continue;
            }
            var hint = c switch
            {
                '=' => " (use '==' to compare)",
                '&' or '|' or '!' => " (use and, or, not)",
                _ => "",
            };
            throw new ConstraintSyntaxException($"unexpected character '{c}' at column {col}{hint}", col);
        }
        tokens.Add(new Token(TokenKind.End, "", 0, text.Length + 1));
        return tokens;
    }
}
