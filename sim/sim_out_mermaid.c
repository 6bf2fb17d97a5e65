/* sequence.mmd: a Mermaid sequenceDiagram of the controller's conversation,
 * every message to or from the LB in trace order. */
#include <errno.h>
#include <string.h>

#include "sim_out.h"
#include "sim_units.h"

/* Arrows drawn at most: a long run's diagram stays readable and small. */
#define SIM_MERMAID_MSGS_MAX 2000
/* Field text kept per arrow. */
#define SIM_MERMAID_FIELDS_MAX 80

static bool sim_is_conversation(const sim_msg *msg)
{
    return strcmp(msg->from, "lb") == 0 || strcmp(msg->to, "lb") == 0;
}

/* Mermaid participant ids hold only letters, digits and '_'. The escape is
 * one to one, so that two actors never share an id: '_' becomes "__", and
 * '/', '-' and '.' become "_s", "_d" and "_p" ("dfm/i-1" is "dfm_si_d1").
 * Diagrams show the actor's own name through "participant ID as NAME". */
static void sim_mermaid_id(FILE *out, const char *actor)
{
    for (const char *c = actor; *c != '\0'; c++) {
        switch (*c) {
        case '_':
            fputs("__", out);
            break;
        case '/':
            fputs("_s", out);
            break;
        case '-':
            fputs("_d", out);
            break;
        case '.':
            fputs("_p", out);
            break;
        default:
            fputc(*c, out);
            break;
        }
    }
}

/* Writes fields without the characters Mermaid gives a meaning to. */
static void sim_mermaid_text(FILE *out, const char *text)
{
    size_t len = strlen(text);

    for (size_t i = 0; i < len && i < SIM_MERMAID_FIELDS_MAX; i++) {
        char c = text[i];

        fputc(c == ';' || c == '#' || c == '<' || c == '>' ? ' ' : c, out);
    }
    if (len > SIM_MERMAID_FIELDS_MAX) {
        fputs("...", out);
    }
}

/* Declares participants in order of first appearance, the LB first. */
static void sim_mermaid_participants(FILE *out, const sim_record *record)
{
    const char *seen[256];
    size_t count = 0;

    fputs("    participant lb\n", out);
    seen[count++] = "lb";
    for (size_t i = 0; i < record->msg_count && count < 256; i++) {
        const sim_msg *msg = &record->msgs[i];
        const char *actors[2] = {msg->from, msg->to};

        if (!sim_is_conversation(msg)) {
            continue;
        }
        for (size_t a = 0; a < 2 && count < 256; a++) {
            bool known = false;

            for (size_t j = 0; j < count && !known; j++) {
                known = strcmp(seen[j], actors[a]) == 0;
            }
            if (!known) {
                seen[count++] = actors[a];
                fputs("    participant ", out);
                sim_mermaid_id(out, actors[a]);
                fprintf(out, " as %s\n", actors[a]);
            }
        }
    }
}

int sim_out_sequence_mmd(FILE *out, const sim_run_result *run)
{
    const sim_record *record = run->record;
    size_t drawn = 0;
    size_t skipped = 0;

    fputs("sequenceDiagram\n", out);
    sim_mermaid_participants(out, record);
    for (size_t i = 0; i < record->msg_count; i++) {
        const sim_msg *msg = &record->msgs[i];
        char at[40];

        if (!sim_is_conversation(msg)) {
            continue;
        }
        if (drawn == SIM_MERMAID_MSGS_MAX) {
            skipped++;
            continue;
        }
        sim_format_seconds(at, sizeof(at), msg->at_us);
        fputs("    ", out);
        sim_mermaid_id(out, msg->from);
        fputs(msg->fate == SIM_MSG_LOST ? "-x" : "->>", out);
        sim_mermaid_id(out, msg->to);
        fprintf(out, ": %s %s ", at, msg->kind);
        sim_mermaid_text(out, msg->fields);
        fputs(msg->fate == SIM_MSG_LOST ? " (lost)\n" : "\n", out);
        drawn++;
    }
    if (skipped > 0) {
        fprintf(out, "    Note over lb: %zu more messages not drawn\n",
                skipped);
    }
    return ferror(out) ? -EIO : 0;
}
