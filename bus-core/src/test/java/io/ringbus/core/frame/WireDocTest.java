package io.ringbus.core.frame;

import io.ringbus.core.dedup.ReplyStatus;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.HashSet;
import java.util.Set;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Pins the project's wire document, {@code docs/wire.md}, to the code (issue 13, point 8): every
 * offset and size its field tables state (the markdown tables whose columns begin
 * {@code name | offset | size}) equals {@link FrameHeader}'s constants, the fields tile the header
 * without gap or overlap, each field written through the {@link FrameHeader} flyweight lands in
 * exactly the bytes the document names, and its command and reply status values are the code's.
 */
class WireDocTest
{
    /** The document, relative to the module directory (surefire's working directory). */
    private static final Path DOC = Path.of("..", "docs", "wire.md");

    private static List<String> lines;

    @BeforeAll
    static void readDoc() throws IOException
    {
        assertTrue(Files.isRegularFile(DOC), DOC.toAbsolutePath() + " is missing");
        lines = Files.readAllLines(DOC, StandardCharsets.UTF_8);
    }

    /** A row of a field table. */
    private record FieldRow(String name, int offset, int size, int line)
    {
        int end()
        {
            return offset + size;
        }
    }

    /** What the code says of each documented field: offset, size. */
    private static Map<String, int[]> codeFields()
    {
        final Map<String, int[]> fields = new LinkedHashMap<>();
        fields.put("checksum", new int[] {FrameHeader.CHECKSUM_OFFSET, FrameHeader.CHECKSUM_FIELD_LENGTH});
        fields.put("checksum_body", new int[] {FrameHeader.CHECKSUM_BODY_OFFSET, FrameHeader.CHECKSUM_BODY_FIELD_LENGTH});
        fields.put("cluster", new int[] {FrameHeader.CLUSTER_OFFSET, FrameHeader.CLUSTER_LENGTH});
        fields.put("size", new int[] {FrameHeader.SIZE_OFFSET, Integer.BYTES});
        fields.put("view", new int[] {FrameHeader.VIEW_OFFSET, Integer.BYTES});
        fields.put("release", new int[] {FrameHeader.RELEASE_OFFSET, Integer.BYTES});
        fields.put("command", new int[] {FrameHeader.COMMAND_OFFSET, Byte.BYTES});
        fields.put("replica", new int[] {FrameHeader.REPLICA_OFFSET, Byte.BYTES});
        fields.put("reserved", new int[] {FrameHeader.RESERVED_OFFSET, FrameHeader.RESERVED_LENGTH});
        fields.put("command_area", new int[] {FrameHeader.COMMAND_AREA_OFFSET, FrameHeader.COMMAND_AREA_LENGTH});
        fields.put("client", new int[] {FrameHeader.CLIENT_OFFSET, 2 * Long.BYTES});
        fields.put("request", new int[] {FrameHeader.REQUEST_OFFSET, Long.BYTES});
        fields.put("timestamp", new int[] {FrameHeader.TIMESTAMP_OFFSET, Long.BYTES});
        fields.put("operation", new int[] {FrameHeader.OPERATION_OFFSET, Byte.BYTES});
        // The reply status is the first byte of the request area's reserved tail.
        fields.put("status", new int[] {ReplyStatus.OFFSET, Byte.BYTES});
        fields.put("area_reserved",
            new int[] {FrameHeader.REQUEST_RESERVED_OFFSET + 1, FrameHeader.REQUEST_RESERVED_LENGTH - 1});
        return fields;
    }

    @Test
    void everyFieldTableStatesTheCodesOffsetsAndSizes()
    {
        final List<List<FieldRow>> tables = fieldTables();
        assertEquals(2, tables.size(), "the header table and the request/reply area table");
        final Map<String, int[]> code = codeFields();
        final Map<String, FieldRow> documented = new LinkedHashMap<>();
        for (final List<FieldRow> table : tables)
        {
            for (final FieldRow row : table)
            {
                assertTrue(documented.put(row.name, row) == null, "wire.md:" + row.line + ": " + row.name + " twice");
            }
        }
        assertEquals(code.keySet(), documented.keySet(), "the fields of wire.md and of the code");
        for (final Map.Entry<String, int[]> field : code.entrySet())
        {
            final FieldRow row = documented.get(field.getKey());
            assertEquals(field.getValue()[0], row.offset, "wire.md:" + row.line + ": offset of " + row.name);
            assertEquals(field.getValue()[1], row.size, "wire.md:" + row.line + ": size of " + row.name);
        }
        assertTiles(tables.get(0), 0, FrameHeader.HEADER_SIZE);
        assertTiles(tables.get(1), FrameHeader.COMMAND_AREA_OFFSET, FrameHeader.HEADER_SIZE);
    }

    /** No offset constant of FrameHeader is left out of the document. */
    @Test
    void everyOffsetOfTheCodeIsDocumented() throws IllegalAccessException
    {
        final Set<Integer> offsets = new HashSet<>();
        for (final List<FieldRow> table : fieldTables())
        {
            for (final FieldRow row : table)
            {
                offsets.add(row.offset);
            }
        }
        for (final Field field : FrameHeader.class.getFields())
        {
            if (Modifier.isStatic(field.getModifiers()) && field.getType() == int.class &&
                field.getName().endsWith("_OFFSET"))
            {
                final int offset = field.getInt(null);
                assertTrue(offsets.contains(offset) ||
                        offset == FrameHeader.REQUEST_RESERVED_OFFSET && offsets.contains(ReplyStatus.OFFSET),
                    "FrameHeader." + field.getName() + " = " + offset + " starts no field of wire.md");
            }
        }
    }

    /**
     * Each field written through the flyweight changes exactly the bytes the document gives it and
     * reads back, little-endian, as the value written.
     */
    @Test
    void theFlyweightWritesEachFieldWhereTheDocumentSays()
    {
        final Map<String, FieldRow> rows = new LinkedHashMap<>();
        fieldTables().forEach(table -> table.forEach(row -> rows.put(row.name, row)));
        final FrameHeader header = new FrameHeader();
        checkField(rows.get("cluster"), buffer -> header.wrap(buffer, 0).cluster(0x1122334455667788L, 0x99AABBCCDDEEFF01L),
            0x99AABBCCDDEEFF01L, 0x1122334455667788L);
        checkField(rows.get("size"), buffer -> header.wrap(buffer, 0).size(0x01020304), 0x01020304L, 0);
        checkField(rows.get("view"), buffer -> header.wrap(buffer, 0).view(0x0A0B0C0D), 0x0A0B0C0DL, 0);
        checkField(rows.get("release"), buffer -> header.wrap(buffer, 0).release(0x10203040), 0x10203040L, 0);
        checkField(rows.get("command"), buffer -> header.wrap(buffer, 0).command(Command.START_VIEW),
            Command.START_VIEW.code(), 0);
        checkField(rows.get("replica"), buffer -> header.wrap(buffer, 0).replica(FrameHeader.MAX_REPLICA_ID),
            FrameHeader.MAX_REPLICA_ID, 0);
        checkField(rows.get("client"), buffer -> header.wrap(buffer, 0).client(0x0102030405060708L, 0x1112131415161718L),
            0x1112131415161718L, 0x0102030405060708L);
        checkField(rows.get("request"), buffer -> header.wrap(buffer, 0).request(0x2122232425262728L),
            0x2122232425262728L, 0);
        checkField(rows.get("timestamp"), buffer -> header.wrap(buffer, 0).timestamp(0x3132333435363738L),
            0x3132333435363738L, 0);
        checkField(rows.get("operation"), buffer -> header.wrap(buffer, 0).operation(0xC3), 0xC3, 0);
        checkField(rows.get("status"), buffer -> ReplyStatus.put(buffer, 0, ReplyStatus.SESSION_LIMIT),
            ReplyStatus.SESSION_LIMIT, 0);
    }

    /**
     * Sealing writes the header checksum into the first 4 bytes of {@code checksum} over bytes
     * 16..255, the body checksum into the first 4 bytes of {@code checksum_body}, and zeros in the
     * rest of both fields, as the document says.
     */
    @Test
    void sealingWritesTheChecksumsWhereTheDocumentSays()
    {
        final Map<String, FieldRow> rows = new LinkedHashMap<>();
        fieldTables().forEach(table -> table.forEach(row -> rows.put(row.name, row)));
        final byte[] body = "a body of some bytes".getBytes(StandardCharsets.US_ASCII);
        final UnsafeBuffer frame = new UnsafeBuffer(new byte[FrameHeader.HEADER_SIZE + body.length]);
        frame.setMemory(0, FrameHeader.CLUSTER_OFFSET, (byte)0x5A); // padding a sender must clear
        new FrameHeader().wrap(frame, 0).size(frame.capacity()).command(Command.REQUEST).request(7);
        frame.putBytes(FrameHeader.HEADER_SIZE, body);
        Frames.seal(frame, 0);
        final Crc32c crc = new Crc32c();
        final FieldRow checksum = rows.get("checksum");
        final FieldRow checksumBody = rows.get("checksum_body");
        assertEquals(Integer.toUnsignedLong(crc.compute(frame, FrameHeader.HEADER_SIZE, body.length)),
            readLittleEndian(frame, checksumBody.offset, Integer.BYTES));
        assertEquals(0, readLittleEndian(frame, checksumBody.offset + Integer.BYTES, Long.BYTES));
        assertEquals(0, readLittleEndian(frame, checksumBody.offset + Integer.BYTES + Long.BYTES,
            checksumBody.size - Integer.BYTES - Long.BYTES));
        assertEquals(Integer.toUnsignedLong(crc.compute(frame, checksumBody.offset,
            FrameHeader.HEADER_SIZE - checksumBody.offset)), readLittleEndian(frame, checksum.offset, Integer.BYTES));
        assertEquals(0, readLittleEndian(frame, checksum.offset + Integer.BYTES, Long.BYTES));
        assertEquals(0, readLittleEndian(frame, checksum.offset + Integer.BYTES + Long.BYTES,
            checksum.size - Integer.BYTES - Long.BYTES));
    }

    /** The commands table states the code's values, names and the client rule. */
    @Test
    void theCommandTableStatesTheCodesValues()
    {
        final List<String[]> rows = table("value", "name", "plane");
        assertEquals(Command.MAX_CODE + 1, rows.size(), "0 and every command");
        int named = 0;
        for (final String[] row : rows)
        {
            final int value = Integer.parseInt(row[0]);
            final String name = unquote(row[1]);
            if (value == 0)
            {
                assertTrue(!Command.isValid(0));
                continue;
            }
            final Command command = Command.valueOf(name.toUpperCase(Locale.ROOT));
            assertEquals(command.code(), value, name);
            assertEquals(command.plane().name().toLowerCase(Locale.ROOT), row[2].trim(), name);
            named++;
        }
        assertEquals(Command.values().length, named);
        assertTrue(Command.isAllowedFromClient(Command.REQUEST.code()) &&
            Command.isAllowedFromClient(Command.PING_CLIENT.code()));
    }

    /** The reply status table states ReplyStatus's values. */
    @Test
    void theReplyStatusTableStatesTheCodesValues()
    {
        final Map<String, Integer> code = Map.of("ok", ReplyStatus.OK, "session_bound", ReplyStatus.SESSION_BOUND,
            "session_limit", ReplyStatus.SESSION_LIMIT);
        final List<String[]> rows = table("value", "name", "meaning");
        assertEquals(code.size(), rows.size());
        for (final String[] row : rows)
        {
            assertEquals(code.get(unquote(row[1])), Integer.valueOf(row[0]), row[1]);
        }
    }

    /** The checksum check value the document gives is what the code computes. */
    @Test
    void theChecksumCheckValueIsTheCodes()
    {
        final byte[] check = "123456789".getBytes(StandardCharsets.US_ASCII);
        final int crc = new Crc32c().compute(new UnsafeBuffer(check), 0, check.length);
        final String stated = "0x" + Integer.toHexString(crc).toUpperCase(Locale.ROOT);
        assertEquals("0xE3069283", stated);
        assertTrue(String.join("\n", lines).contains("`" + stated + "`"), "wire.md states the check value " + stated);
    }

    // ---------------------------------------------------------------------------------------------

    /**
     * Writes one field into a zeroed header, seals nothing, and checks the changed bytes lie in the
     * row's range and read back (little-endian, low then high for a u128) as {@code lo}/{@code hi}.
     */
    private static void checkField(final FieldRow row, final Consumer<UnsafeBuffer> write, final long lo, final long hi)
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[FrameHeader.HEADER_SIZE]);
        write.accept(buffer);
        for (int i = 0; i < FrameHeader.HEADER_SIZE; i++)
        {
            if (buffer.getByte(i) != 0)
            {
                assertTrue(i >= row.offset && i < row.end(),
                    row.name + " wrote byte " + i + ", outside wire.md's " + row.offset + ".." + (row.end() - 1));
            }
        }
        final int low = Math.min(row.size, Long.BYTES);
        assertEquals(lo, readLittleEndian(buffer, row.offset, low), row.name + " low bytes");
        if (row.size > Long.BYTES)
        {
            assertEquals(hi, readLittleEndian(buffer, row.offset + Long.BYTES, Math.min(row.size - Long.BYTES,
                Long.BYTES)), row.name + " high bytes");
        }
    }

    private static long readLittleEndian(final UnsafeBuffer buffer, final int offset, final int length)
    {
        long value = 0;
        for (int i = length - 1; i >= 0; i--)
        {
            value = (value << 8) | (buffer.getByte(offset + i) & 0xFF);
        }
        return value;
    }

    private static void assertTiles(final List<FieldRow> table, final int start, final int end)
    {
        final List<FieldRow> sorted = new ArrayList<>(table);
        sorted.sort(Comparator.comparingInt(FieldRow::offset));
        int next = start;
        for (final FieldRow row : sorted)
        {
            assertEquals(next, row.offset, "wire.md:" + row.line + ": " + row.name + " leaves a gap or overlaps");
            next = row.end();
        }
        assertEquals(end, next, "the table ends at " + end);
    }

    /** Every table whose first three columns are name | offset | size, as field rows. */
    private static List<List<FieldRow>> fieldTables()
    {
        final List<List<FieldRow>> tables = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++)
        {
            final String[] head = cells(lines.get(i));
            if (head.length >= 3 && head[0].equals("name") && head[1].equals("offset") && head[2].equals("size"))
            {
                final List<FieldRow> rows = new ArrayList<>();
                int j = i + 2; // after the separator row
                for (; j < lines.size() && lines.get(j).trim().startsWith("|"); j++)
                {
                    final String[] row = cells(lines.get(j));
                    try
                    {
                        rows.add(new FieldRow(unquote(row[0]), Integer.parseInt(row[1]), Integer.parseInt(row[2]), j + 1));
                    }
                    catch (final NumberFormatException ex)
                    {
                        fail("wire.md:" + (j + 1) + ": offset and size must be decimal numbers: " + lines.get(j));
                    }
                }
                tables.add(rows);
                i = j;
            }
        }
        return tables;
    }

    /** The rows of the one table whose header begins with {@code columns}. */
    private static List<String[]> table(final String... columns)
    {
        final List<String[]> rows = new ArrayList<>();
        int found = 0;
        for (int i = 0; i < lines.size(); i++)
        {
            final String[] head = cells(lines.get(i));
            boolean match = head.length >= columns.length;
            for (int c = 0; match && c < columns.length; c++)
            {
                match = head[c].equals(columns[c]);
            }
            if (match)
            {
                found++;
                int j = i + 2;
                for (; j < lines.size() && lines.get(j).trim().startsWith("|"); j++)
                {
                    rows.add(cells(lines.get(j)));
                }
                i = j;
            }
        }
        assertEquals(1, found, "one table with columns " + String.join(" | ", columns));
        return rows;
    }

    private static String[] cells(final String line)
    {
        final String trimmed = line.trim();
        if (!trimmed.startsWith("|") || !trimmed.endsWith("|"))
        {
            return new String[0];
        }
        final String[] cells = trimmed.substring(1, trimmed.length() - 1).split("\\|", -1);
        for (int i = 0; i < cells.length; i++)
        {
            cells[i] = cells[i].trim();
        }
        return cells;
    }

    private static String unquote(final String cell)
    {
        return cell.replace("`", "").trim();
    }
}
