package io.ringbus.core.frame;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.nio.ByteOrder;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Pins every header constant to the table of WIRE.md. */
class FrameHeaderTest
{
    @Test
    void offsetsMatchWireMd()
    {
        assertEquals(256, FrameHeader.HEADER_SIZE);
        assertEquals(ByteOrder.LITTLE_ENDIAN, FrameHeader.ORDER);
        assertEquals(0, FrameHeader.CHECKSUM_OFFSET);
        assertEquals(16, FrameHeader.CHECKSUM_FIELD_LENGTH);
        assertEquals(16, FrameHeader.CHECKSUM_BODY_OFFSET);
        assertEquals(16, FrameHeader.CHECKSUM_BODY_FIELD_LENGTH);
        assertEquals(16, FrameHeader.CHECKSUMMED_HEADER_OFFSET);
        assertEquals(32, FrameHeader.CLUSTER_OFFSET);
        assertEquals(16, FrameHeader.CLUSTER_LENGTH);
        assertEquals(48, FrameHeader.SIZE_OFFSET);
        assertEquals(52, FrameHeader.VIEW_OFFSET);
        assertEquals(56, FrameHeader.RELEASE_OFFSET);
        assertEquals(60, FrameHeader.COMMAND_OFFSET);
        assertEquals(61, FrameHeader.REPLICA_OFFSET);
        assertEquals(62, FrameHeader.RESERVED_OFFSET);
        assertEquals(66, FrameHeader.RESERVED_LENGTH);
        assertEquals(128, FrameHeader.COMMAND_AREA_OFFSET);
        assertEquals(128, FrameHeader.COMMAND_AREA_LENGTH);
        assertEquals(128, FrameHeader.CLIENT_OFFSET);
        assertEquals(144, FrameHeader.REQUEST_OFFSET);
        assertEquals(152, FrameHeader.TIMESTAMP_OFFSET);
        assertEquals(160, FrameHeader.OPERATION_OFFSET);
        assertEquals(161, FrameHeader.REQUEST_RESERVED_OFFSET);
        assertEquals(95, FrameHeader.REQUEST_RESERVED_LENGTH);
        assertEquals(255, FrameHeader.REPLICA_NONE);
        assertEquals(254, FrameHeader.MAX_REPLICA_ID);
        // The fields tile the header without gaps or overlaps.
        assertEquals(FrameHeader.COMMAND_AREA_OFFSET, FrameHeader.RESERVED_OFFSET + FrameHeader.RESERVED_LENGTH);
        assertEquals(FrameHeader.HEADER_SIZE, FrameHeader.REQUEST_RESERVED_OFFSET + FrameHeader.REQUEST_RESERVED_LENGTH);
    }

    @Test
    void commandValuesMatchWireMd()
    {
        final String[] names = {
            null, "PING", "PONG", "PING_CLIENT", "PONG_CLIENT", "REQUEST", "PREPARE", "PREPARE_OK", "REPLY", "COMMIT",
            "START_VIEW_CHANGE", "DO_VIEW_CHANGE", "START_VIEW"};
        assertEquals(12, Command.MAX_CODE);
        assertEquals(12, Command.values().length);
        for (int code = 1; code < names.length; code++)
        {
            assertEquals(names[code], Command.of(code).name());
            assertEquals(code, Command.of(code).code());
            assertTrue(Command.isValid(code));
        }
        assertNull(Command.of(0));
        assertNull(Command.of(13));
        assertNull(Command.of(255));
        assertFalse(Command.isValid(0));
        assertFalse(Command.isValid(13));
        assertTrue(Command.isAllowedFromClient(Command.REQUEST.code()));
        assertTrue(Command.isAllowedFromClient(Command.PING_CLIENT.code()));
        for (final Command command : Command.values())
        {
            if (command != Command.REQUEST && command != Command.PING_CLIENT)
            {
                assertFalse(Command.isAllowedFromClient(command.code()), command.name());
            }
        }
    }

    @Test
    void fieldsLandAtTheirOffsetsLittleEndian()
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[300]);
        final FrameHeader header = new FrameHeader().wrap(buffer, 10);
        assertSame(buffer, header.buffer());
        header.cluster(0x0102030405060708L, 0x1112131415161718L).size(0x21222324).view(0x31323334).release(0x41424344)
            .command(Command.PREPARE_OK).replica(200).client(0x5152535455565758L, 0x6162636465666768L)
            .request(0x7172737475767778L).timestamp(0x0A0B0C0D0E0F1011L).operation(0xEE);

        final byte[] b = buffer.byteArray();
        assertEquals(0x18, b[10 + 32]);
        assertEquals(0x11, b[10 + 39]);
        assertEquals(0x08, b[10 + 40]);
        assertEquals(0x01, b[10 + 47]);
        assertEquals(0x24, b[10 + 48]);
        assertEquals(0x21, b[10 + 51]);
        assertEquals(0x34, b[10 + 52]);
        assertEquals(0x44, b[10 + 56]);
        assertEquals(7, b[10 + 60]);
        assertEquals((byte)200, b[10 + 61]);
        assertEquals(0x68, b[10 + 128]);
        assertEquals(0x58, b[10 + 136]);
        assertEquals(0x78, b[10 + 144]);
        assertEquals(0x11, b[10 + 152]);
        assertEquals((byte)0xEE, b[10 + 160]);

        assertEquals(0x0102030405060708L, header.clusterHi());
        assertEquals(0x1112131415161718L, header.clusterLo());
        assertEquals(0x21222324, header.size());
        assertEquals(0x31323334, header.view());
        assertEquals(0x41424344, header.release());
        assertEquals(7, header.command());
        assertEquals(200, header.replica());
        assertEquals(0x5152535455565758L, header.clientHi());
        assertEquals(0x6162636465666768L, header.clientLo());
        assertEquals(0x7172737475767778L, header.request());
        assertEquals(0x0A0B0C0D0E0F1011L, header.timestamp());
        assertEquals(0xEE, header.operation());
        assertEquals(0x21222324, FrameHeader.size(buffer, 10));
        assertEquals(7, FrameHeader.command(buffer, 10));
        assertEquals(200, FrameHeader.replica(buffer, 10));
        assertEquals(0x5152535455565758L, FrameHeader.clientHi(buffer, 10));
        assertEquals(0x6162636465666768L, FrameHeader.clientLo(buffer, 10));
        assertEquals(0x7172737475767778L, FrameHeader.request(buffer, 10));

        header.clear();
        for (int i = 10; i < 10 + 256; i++)
        {
            assertEquals(0, b[i]);
        }
    }
}
