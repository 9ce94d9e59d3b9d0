package io.ringbus.quic.tls;

/**
 * Checks of the host name a client sends in server_name (RFC 6066 3), before the server keeps it:
 * LDH labels only (RFC 1123 2.1, RFC 5890 2.3.1), at most 255 bytes (RFC 1035 2.3.4), no IP
 * literal. Stateless; any thread.
 */
final class HostNames
{
    /** RFC 1035 2.3.4: a name of at most 255 octets. */
    static final int MAX_NAME_LENGTH = 255;
    /** RFC 1035 2.3.4: a label of at most 63 octets. */
    static final int MAX_LABEL_LENGTH = 63;
    /** How many bytes of a refused name a reason shows. */
    private static final int SHOWN_BYTES = 64;

    private HostNames()
    {
    }

    /** Why {@code length} bytes at {@code offset} are no LDH host name, or null if they are one. */
    static String ldhProblem(final byte[] name, final int offset, final int length)
    {
        if (length > MAX_NAME_LENGTH)
        {
            return length + " bytes, above " + MAX_NAME_LENGTH;
        }
        final int end = offset + length;
        for (int i = offset; i < end; i++)
        {
            if (name[i] == ':')
            {
                return "an IPv6 literal (RFC 6066 3 allows no IP literals)";
            }
        }
        int labelStart = offset;
        boolean allDigitsAndDots = true;
        for (int i = offset; i <= end; i++)
        {
            if (i == end || name[i] == '.')
            {
                final int labelLength = i - labelStart;
                if (labelLength == 0)
                {
                    return i == end ? "a trailing dot or an empty name" : "an empty label at byte " + (i - offset);
                }
                if (labelLength > MAX_LABEL_LENGTH)
                {
                    return "a label of " + labelLength + " bytes, above " + MAX_LABEL_LENGTH;
                }
                if (name[labelStart] == '-' || name[i - 1] == '-')
                {
                    return "a label that starts or ends with a hyphen";
                }
                labelStart = i + 1;
                continue;
            }
            final int c = name[i] & 0xFF;
            final boolean digit = c >= '0' && c <= '9';
            if (!(digit || c == '-' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')))
            {
                return "byte 0x" + Integer.toHexString(c) + " at " + (i - offset) + " is no letter, digit or hyphen";
            }
            allDigitsAndDots &= digit;
        }
        if (allDigitsAndDots)
        {
            return "an IPv4 literal (RFC 6066 3 allows no IP literals) or an all-numeric name";
        }
        return null;
    }

    /** The first bytes of a name for a log line or a reason: printable ASCII kept, others as \xNN. */
    static String printable(final byte[] name, final int offset, final int length)
    {
        final StringBuilder out = new StringBuilder(SHOWN_BYTES + 16).append('"');
        final int shown = Math.min(length, SHOWN_BYTES);
        for (int i = offset; i < offset + shown; i++)
        {
            final int c = name[i] & 0xFF;
            if (c >= 0x20 && c < 0x7F && c != '"' && c != '\\')
            {
                out.append((char)c);
            }
            else
            {
                out.append("\\x").append(Character.forDigit(c >>> 4, 16)).append(Character.forDigit(c & 0xF, 16));
            }
        }
        out.append('"');
        if (shown < length)
        {
            out.append("... (").append(length).append(" bytes)");
        }
        return out.toString();
    }
}
