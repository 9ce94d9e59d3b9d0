package io.ringbus.core.frame;

/**
 * The command values of WIRE.md. Values above 12 and the value 0 are invalid on the wire.
 * Immutable; any thread.
 */
public enum Command
{
    PING(1, Plane.REPLICA),
    PONG(2, Plane.REPLICA),
    PING_CLIENT(3, Plane.CLIENT),
    PONG_CLIENT(4, Plane.CLIENT),
    REQUEST(5, Plane.CLIENT),
    PREPARE(6, Plane.REPLICA),
    PREPARE_OK(7, Plane.REPLICA),
    REPLY(8, Plane.CLIENT),
    COMMIT(9, Plane.REPLICA),
    START_VIEW_CHANGE(10, Plane.REPLICA),
    DO_VIEW_CHANGE(11, Plane.REPLICA),
    START_VIEW(12, Plane.REPLICA);

    /** The plane a command belongs to. */
    public enum Plane
    {
        REPLICA, CLIENT
    }

    /** Highest valid command value. */
    public static final int MAX_CODE = 12;

    private static final Command[] BY_CODE = new Command[MAX_CODE + 1];

    static
    {
        for (final Command command : values())
        {
            BY_CODE[command.code] = command;
        }
    }

    private final byte code;
    private final Plane plane;

    Command(final int code, final Plane plane)
    {
        this.code = (byte)code;
        this.plane = plane;
    }

    /** The wire value. */
    public byte code()
    {
        return code;
    }

    /** The plane this command travels on. */
    public Plane plane()
    {
        return plane;
    }

    /** True if {@code code} (an unsigned byte value) names a command valid on the wire. */
    public static boolean isValid(final int code)
    {
        return code >= 1 && code <= MAX_CODE;
    }

    /** The command for a wire value, or null if the value is invalid. */
    public static Command of(final int code)
    {
        return isValid(code) ? BY_CODE[code] : null;
    }

    /**
     * The client-command rule, kept here only: true if a client may send this command value (WIRE.md:
     * only request and ping_client). The bus's client plane closes a client connection that sends
     * anything else.
     */
    public static boolean isAllowedFromClient(final int code)
    {
        return code == REQUEST.code || code == PING_CLIENT.code;
    }
}
