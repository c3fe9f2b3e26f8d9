/* EVE "ssh": one object per side that sent its banner. */
#include "applayer/ssh/ssh_eve.h"

static void write_side(struct json_writer *w, const char *key, const struct ssh_side *side)
{
    if (!side->banner)
        return;
    json_object_begin(w, key);
    json_string(w, "proto_version", side->proto_version);
    json_string(w, "software_version", side->software_version);
    if (side->kexinit) {
        json_object_begin(w, "hassh");
        json_string(w, "hash", side->hassh);
        json_string(w, "string", side->hassh_string);
        json_object_end(w);
    }
    json_object_end(w);
}

void ssh_eve_members(struct json_writer *w, const struct ssh_state *s)
{
    write_side(w, "client", &s->side[FLOW_TOSERVER]);
    write_side(w, "server", &s->side[FLOW_TOCLIENT]);
}

void ssh_eve_write(struct json_writer *w, const struct ssh_state *s)
{
    json_object_begin(w, "ssh");
    ssh_eve_members(w, s);
    json_object_end(w);
}
