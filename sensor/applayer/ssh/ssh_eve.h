/* The EVE "ssh" object: Suricata's client{proto_version, software_version,
 * hassh{hash,string}} and server{...}. */
#ifndef XIEZHI_APPLAYER_SSH_EVE_H
#define XIEZHI_APPLAYER_SSH_EVE_H

#include "applayer/ssh/ssh.h"
#include "event/json.h"

void ssh_eve_write(struct json_writer *w, const struct ssh_state *s);
/* The members of "ssh", for a writer that opened it already. */
void ssh_eve_members(struct json_writer *w, const struct ssh_state *s);

#endif
