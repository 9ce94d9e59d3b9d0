package io.ringbus.cli;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A strict RFC 8259 JSON parser for the tests of the CLI's {@code --json} output: objects become
 * ordered maps, arrays lists, numbers {@link BigDecimal}, and null {@link #NULL}; anything the RFC
 * does not allow (trailing commas, leading zeros, raw control characters in strings, text after
 * the value, a member named twice) is an {@link IllegalArgumentException} naming the offset. One
 * instance per text; any thread.
 */
final class StrictJson
{
    /** The JSON null (maps cannot tell an absent member from a null one otherwise). */
    static final Object NULL = new Object()
    {
        @Override
        public String toString()
        {
            return "null";
        }
    };

    private final String text;
    private int at;

    private StrictJson(final String text)
    {
        this.text = text;
    }

    /** Parse {@code text}, which must hold exactly one JSON value (surrounding whitespace allowed). */
    static Object parse(final String text)
    {
        final StrictJson parser = new StrictJson(text);
        parser.skipWhitespace();
        final Object value = parser.value();
        parser.skipWhitespace();
        if (parser.at != text.length())
        {
            throw parser.error("text after the value");
        }
        return value;
    }

    /** Parse {@code text} as one JSON object. */
    @SuppressWarnings("unchecked")
    static Map<String, Object> object(final String text)
    {
        final Object value = parse(text);
        if (!(value instanceof Map))
        {
            throw new IllegalArgumentException("not a JSON object: " + text);
        }
        return (Map<String, Object>)value;
    }

    private Object value()
    {
        if (at >= text.length())
        {
            throw error("a value expected");
        }
        final char c = text.charAt(at);
        switch (c)
        {
            case '{':
                return object();
            case '[':
                return array();
            case '"':
                return string();
            case 't':
                return literal("true", Boolean.TRUE);
            case 'f':
                return literal("false", Boolean.FALSE);
            case 'n':
                return literal("null", NULL);
            default:
                if (c == '-' || c >= '0' && c <= '9')
                {
                    return number();
                }
                throw error("unexpected '" + c + "'");
        }
    }

    private Map<String, Object> object()
    {
        final Map<String, Object> members = new LinkedHashMap<>();
        at++;
        skipWhitespace();
        if (peek() == '}')
        {
            at++;
            return Collections.unmodifiableMap(members);
        }
        while (true)
        {
            skipWhitespace();
            if (peek() != '"')
            {
                throw error("a member name expected");
            }
            final String name = string();
            skipWhitespace();
            expect(':');
            skipWhitespace();
            if (members.put(name, value()) != null)
            {
                throw error("member " + name + " given twice");
            }
            skipWhitespace();
            if (peek() == ',')
            {
                at++;
                continue;
            }
            expect('}');
            return Collections.unmodifiableMap(members);
        }
    }

    private List<Object> array()
    {
        final List<Object> items = new ArrayList<>();
        at++;
        skipWhitespace();
        if (peek() == ']')
        {
            at++;
            return Collections.unmodifiableList(items);
        }
        while (true)
        {
            skipWhitespace();
            items.add(value());
            skipWhitespace();
            if (peek() == ',')
            {
                at++;
                continue;
            }
            expect(']');
            return Collections.unmodifiableList(items);
        }
    }

    private String string()
    {
        expect('"');
        final StringBuilder value = new StringBuilder();
        while (true)
        {
            if (at >= text.length())
            {
                throw error("unterminated string");
            }
            final char c = text.charAt(at++);
            if (c == '"')
            {
                return value.toString();
            }
            if (c < 0x20)
            {
                throw error("raw control character in a string");
            }
            if (c != '\\')
            {
                value.append(c);
                continue;
            }
            final char escape = at < text.length() ? text.charAt(at++) : 0;
            switch (escape)
            {
                case '"':
                case '\\':
                case '/':
                    value.append(escape);
                    break;
                case 'b':
                    value.append('\b');
                    break;
                case 'f':
                    value.append('\f');
                    break;
                case 'n':
                    value.append('\n');
                    break;
                case 'r':
                    value.append('\r');
                    break;
                case 't':
                    value.append('\t');
                    break;
                case 'u':
                    if (at + 4 > text.length())
                    {
                        throw error("short \\u escape");
                    }
                    value.append((char)Integer.parseInt(text.substring(at, at + 4), 16));
                    at += 4;
                    break;
                default:
                    throw error("bad escape");
            }
        }
    }

    private BigDecimal number()
    {
        final int start = at;
        if (peek() == '-')
        {
            at++;
        }
        if (peek() == '0')
        {
            at++;
        }
        else if (peek() >= '1' && peek() <= '9')
        {
            digits();
        }
        else
        {
            throw error("a digit expected");
        }
        if (peek() == '.')
        {
            at++;
            if (!(peek() >= '0' && peek() <= '9'))
            {
                throw error("a digit expected after '.'");
            }
            digits();
        }
        if (peek() == 'e' || peek() == 'E')
        {
            at++;
            if (peek() == '+' || peek() == '-')
            {
                at++;
            }
            if (!(peek() >= '0' && peek() <= '9'))
            {
                throw error("a digit expected in the exponent");
            }
            digits();
        }
        return new BigDecimal(text.substring(start, at));
    }

    private void digits()
    {
        while (peek() >= '0' && peek() <= '9')
        {
            at++;
        }
    }

    private Object literal(final String word, final Object value)
    {
        if (!text.startsWith(word, at))
        {
            throw error(word + " expected");
        }
        at += word.length();
        return value;
    }

    private void expect(final char c)
    {
        if (peek() != c)
        {
            throw error("'" + c + "' expected");
        }
        at++;
    }

    private char peek()
    {
        return at < text.length() ? text.charAt(at) : 0;
    }

    private void skipWhitespace()
    {
        while (at < text.length() && " \t\r\n".indexOf(text.charAt(at)) >= 0)
        {
            at++;
        }
    }

    private IllegalArgumentException error(final String what)
    {
        return new IllegalArgumentException("JSON: " + what + " at offset " + at + " in: " + text);
    }
}
