// Tolerant readers for the JSON the node returns. The exact shapes belong
// to the node; these accept the likely spellings so the UI keeps working
// while they settle.

export const MEDIA_FIELDS = ['audio', 'video', 'screenShare', 'handRaised'];

export function list(v, key) {
  if (Array.isArray(v)) return v;
  if (v && Array.isArray(v[key])) return v[key];
  if (v && Array.isArray(v.items)) return v.items;
  return [];
}

export function meetingOf(v) {
  return v && v.meeting && typeof v.meeting === 'object' ? v.meeting : v;
}

export function meetingId(mt) {
  return mt?.id ?? mt?.meetingId ?? mt?.ID ?? '';
}

export function peerId(p) {
  return p?.peerId ?? p?.peerID ?? p?.id ?? '';
}

export function displayName(p) {
  return p?.name ?? p?.displayName ?? p?.senderName ?? '';
}

// mediaState returns {audio, video, screenShare, handRaised, handRaisedAt, speaking} of a
// participant; handRaisedAt (unix ms, 0 while down) orders raised hands alike on every node.
export function mediaState(p) {
  const src = p?.mediaState ?? p?.media ?? p?.state ?? p ?? {};
  return {
    audio: !!src.audio,
    video: !!src.video,
    screenShare: !!src.screenShare,
    handRaised: !!src.handRaised,
    handRaisedAt: src.handRaised ? Number(src.handRaisedAt) || 0 : 0,
    speaking: !!src.speaking,
  };
}

export function isActiveParticipant(p) {
  return !(p?.leftAt);
}

export function hostPeerId(mt) {
  if (!mt) return '';
  const direct = mt.host ?? mt.hostPeerId ?? mt.hostId ?? mt.createdBy;
  if (typeof direct === 'string' && direct) return direct;
  if (direct && typeof direct === 'object') return peerId(direct);
  const h = list(mt.participants, 'participants').find((p) => p.role === 'host');
  return h ? peerId(h) : '';
}

export function messageKey(msg) {
  return msg?.id ?? msg?.ID ?? `${msg?.hlc ?? msg?.timestamp ?? ''}|${msg?.from ?? ''}|${msg?.text ?? ''}`;
}

export function messageSender(msg) {
  return msg?.senderName ?? msg?.name ?? msg?.fromName ?? msg?.from ?? msg?.sender ?? msg?.peerId ?? '';
}

export function messageTime(msg) {
  return msg?.time ?? msg?.sentAt ?? msg?.timestamp ?? msg?.createdAt ?? '';
}

// compareMessages orders by (HLC, ID) when the node provides an HLC.
export function compareMessages(a, b) {
  const ha = a?.hlc, hb = b?.hlc;
  if (ha !== undefined && hb !== undefined && ha !== hb) {
    if (typeof ha === 'number' && typeof hb === 'number') return ha - hb;
    return String(ha) < String(hb) ? -1 : 1;
  }
  const ia = String(messageKey(a)), ib = String(messageKey(b));
  if (ha !== undefined && hb !== undefined) return ia < ib ? -1 : ia > ib ? 1 : 0;
  return 0;
}
