// UI words added for meeting records, kept in one place so a translation
// (e.g. strings-es.js with the same keys) replaces one object. Older parts
// of the UI still spell their words inline.
export const t = {
  downloadRecord: 'Download record',
  downloadRecordTitle: 'Save the chat (files by name and hash), the activity and who took part',
  formatMd: 'Markdown',
  formatHtml: 'Web page (HTML)',
  formatJson: 'JSON',
  deleteMeeting: 'Delete from this computer',
  deleteMeetingTitle: 'Remove this meeting\'s history, files and recordings from this computer; the others keep theirs',
  deleteConfirm: 'Delete this meeting\'s history, shared files and recordings from this computer? Other participants keep their copies; the join link brings it back.',
  deleteFailed: 'The meeting could not be deleted: ',
};
