package books

import (
	"context"
	"fmt"
	"net/http"
	"time"
	"unicode/utf8"

	"nongfu/internal/apperr"
	"nongfu/internal/platform/audit"
	"nongfu/internal/platform/auth"
	"nongfu/internal/platform/db"
)

// Voucher attachments (原始凭证扫描件) are kept in the database, like the platform's other uploads (the credit
// room's consent scans): one row per file with its sniffed content type, so a backup of the database is a backup
// of the books. Files are added to a voucher in any state — scanning the receipts often comes after posting — and
// can be removed only while the voucher is a draft; both are audited.

// MaxAttachmentBytes bounds one scan.
const MaxAttachmentBytes = 8 << 20

var attachmentTypes = map[string]bool{"image/jpeg": true, "image/png": true, "application/pdf": true}

// Attachment describes a stored scan.
type Attachment struct {
	ID          int64     `json:"id"`
	VoucherID   int64     `json:"voucher_id"`
	FileName    string    `json:"file_name"`
	ContentType string    `json:"content_type"`
	Size        int       `json:"size"`
	UploadedBy  string    `json:"uploaded_by"`
	CreatedAt   time.Time `json:"created_at"`
}

// AddAttachment stores a scan on a voucher.
func (s *Service) AddAttachment(ctx context.Context, p *auth.Principal, bookID, voucherID int64, name string, data []byte) (Attachment, error) {
	b, err := s.writableBook(ctx, p, bookID)
	if err != nil {
		return Attachment{}, err
	}
	var msg string
	ct := http.DetectContentType(data)
	switch {
	case len(data) == 0:
		msg = "请选择要上传的扫描件（JPEG、PNG 或 PDF）"
	case len(data) > MaxAttachmentBytes:
		msg = "扫描件不能超过 8 MB"
	case !attachmentTypes[ct]:
		msg = "扫描件应为 JPEG、PNG 或 PDF 文件"
	case utf8.RuneCountInString(name) > 200:
		msg = "文件名过长"
	}
	if msg != "" {
		return Attachment{}, apperr.FieldErrors(map[string]string{"file": msg})
	}
	if name == "" {
		name = "扫描件"
	}
	a := Attachment{VoucherID: voucherID, FileName: name, ContentType: ct, Size: len(data), UploadedBy: displayName(p), CreatedAt: s.now().UTC().Truncate(time.Microsecond)}
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		v, err := s.loadVoucher(ctx, tx, b, voucherID)
		if err != nil {
			return err
		}
		a.ID = tx.NextID()
		if _, err := tx.ExecContext(ctx, `INSERT INTO books_attachments (id, book_id, voucher_id, file_name, content_type, size, data, uploaded_by_name, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, a.ID, b.ID, v.ID, a.FileName, a.ContentType, a.Size, data, a.UploadedBy, a.CreatedAt); err != nil {
			return fmt.Errorf("insert attachment: %w", err)
		}
		return audit.Write(ctx, tx, audit.Entry{Actor: p.Actor(), Action: "attach", Entity: "voucher", EntityID: v.ID,
			Summary: fmt.Sprintf("上传凭证附件：%s %s %s（%d 字节）", b.Name, v.Word, a.FileName, a.Size), After: a})
	})
	return a, err
}

// Attachments lists the scans of a voucher.
func (s *Service) Attachments(ctx context.Context, p *auth.Principal, bookID, voucherID int64) ([]Attachment, error) {
	if _, err := s.GetBook(ctx, p, bookID); err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT id, voucher_id, file_name, content_type, size, uploaded_by_name, created_at FROM books_attachments
		WHERE book_id = ? AND voucher_id = ? ORDER BY id`, bookID, voucherID)
	if err != nil {
		return nil, fmt.Errorf("list attachments: %w", err)
	}
	defer rows.Close()
	out := []Attachment{}
	for rows.Next() {
		var a Attachment
		if err := rows.Scan(&a.ID, &a.VoucherID, &a.FileName, &a.ContentType, &a.Size, &a.UploadedBy, &a.CreatedAt); err != nil {
			return nil, err
		}
		a.CreatedAt = a.CreatedAt.UTC()
		out = append(out, a)
	}
	return out, rows.Err()
}

// AttachmentData returns one scan for download.
func (s *Service) AttachmentData(ctx context.Context, p *auth.Principal, bookID, id int64) (Attachment, []byte, error) {
	if _, err := s.GetBook(ctx, p, bookID); err != nil {
		return Attachment{}, nil, err
	}
	var a Attachment
	var data []byte
	err := s.db.QueryRowContext(ctx, `SELECT id, voucher_id, file_name, content_type, size, data FROM books_attachments WHERE book_id = ? AND id = ?`, bookID, id).
		Scan(&a.ID, &a.VoucherID, &a.FileName, &a.ContentType, &a.Size, &data)
	if err != nil {
		return a, nil, apperr.New(apperr.NotFound, "附件不存在")
	}
	return a, data, nil
}

// DeleteAttachment removes a scan from a draft voucher.
func (s *Service) DeleteAttachment(ctx context.Context, p *auth.Principal, bookID, id int64) error {
	b, err := s.writableBook(ctx, p, bookID)
	if err != nil {
		return err
	}
	return s.db.InTx(ctx, func(tx *db.Tx) error {
		var vid int64
		var name string
		if err := tx.QueryRowContext(ctx, `SELECT voucher_id, file_name FROM books_attachments WHERE book_id = ? AND id = ?`, b.ID, id).Scan(&vid, &name); err != nil {
			return apperr.New(apperr.NotFound, "附件不存在")
		}
		v, err := s.loadVoucher(ctx, tx, b, vid)
		if err != nil {
			return err
		}
		if v.Status != StatusDraft {
			return apperr.Errorf(apperr.Conflict, "凭证%s，附件不能删除", v.StatusLabel)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM books_attachments WHERE id = ?`, id); err != nil {
			return err
		}
		return audit.Write(ctx, tx, audit.Entry{Actor: p.Actor(), Action: "detach", Entity: "voucher", EntityID: vid,
			Summary: "删除凭证附件：" + b.Name + " " + name, Before: map[string]any{"attachment_id": id, "file_name": name}})
	})
}
