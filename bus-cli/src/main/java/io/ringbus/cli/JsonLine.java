package io.ringbus.cli;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.List;

/**
 * One JSON object written on one line, for the {@code --json} output of the CLI commands: members
 * in the order they are put, strings escaped per RFC 8259, numbers in plain decimal notation
 * (a non-finite double is written as null). Confined to the thread that builds it.
 */
final class JsonLine
{
    private final StringBuilder text = new StringBuilder(256).append('{');

    /** A string member; null is written as null. */
    JsonLine put(final String name, final String value)
    {
        name(name);
        if (value == null)
        {
            text.append("null");
        }
        else
        {
            string(value);
        }
        return this;
    }

    /** A whole number member. */
    JsonLine put(final String name, final long value)
    {
        name(name);
        text.append(value);
        return this;
    }

    /** A boolean member. */
    JsonLine put(final String name, final boolean value)
    {
        name(name);
        text.append(value);
        return this;
    }

    /** A number member rounded half-up to {@code decimals} places; NaN and infinities as null. */
    JsonLine put(final String name, final double value, final int decimals)
    {
        name(name);
        if (Double.isFinite(value))
        {
            text.append(BigDecimal.valueOf(value).setScale(decimals, RoundingMode.HALF_UP).toPlainString());
        }
        else
        {
            text.append("null");
        }
        return this;
    }

    /** An array of strings. */
    JsonLine put(final String name, final List<String> values)
    {
        name(name);
        text.append('[');
        for (int i = 0; i < values.size(); i++)
        {
            if (i > 0)
            {
                text.append(',');
            }
            string(values.get(i));
        }
        text.append(']');
        return this;
    }

    /** The object, without a line break. */
    @Override
    public String toString()
    {
        return text + "}";
    }

    private void name(final String name)
    {
        if (text.length() > 1)
        {
            text.append(',');
        }
        string(name);
        text.append(':');
    }

    private void string(final String value)
    {
        text.append('"');
        for (int i = 0; i < value.length(); i++)
        {
            final char c = value.charAt(i);
            switch (c)
            {
                case '"':
                    text.append("\\\"");
                    break;
                case '\\':
                    text.append("\\\\");
                    break;
                case '\n':
                    text.append("\\n");
                    break;
                case '\r':
                    text.append("\\r");
                    break;
                case '\t':
                    text.append("\\t");
                    break;
                default:
                    if (c < 0x20)
                    {
                        text.append(String.format("\\u%04x", (int)c));
                    }
                    else
                    {
                        text.append(c);
                    }
            }
        }
        text.append('"');
    }
}
