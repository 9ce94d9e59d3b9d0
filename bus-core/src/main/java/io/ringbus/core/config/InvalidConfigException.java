package io.ringbus.core.config;

/**
 * Thrown by {@code build()} when a configuration value, or a combination of values, is invalid.
 *
 * <p>{@link #field()} is the snake_case name of the offending field as DESIGN.md spells it
 * (for example {@code max_batch}); the message reads {@code field = value: rule}. Immutable, so
 * any thread may read it.
 */
public final class InvalidConfigException extends IllegalArgumentException
{
    private static final long serialVersionUID = 1L;

    /** The snake_case name of the rejected field. */
    private final String field;

    /**
     * Creates the exception for one rejected value.
     *
     * @param field the snake_case field name, for example {@code max_batch}
     * @param value the rejected value, rendered with {@code String.valueOf}
     * @param rule  what the value must satisfy, for example {@code must be within 1..512}
     */
    public InvalidConfigException(String field, Object value, String rule)
    {
        super(field + " = " + value + ": " + rule);
        this.field = field;
    }

    /**
     * Returns the snake_case name of the rejected field.
     *
     * @return the field name, the same one the message starts with
     */
    public String field()
    {
        return field;
    }
}
