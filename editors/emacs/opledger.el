;;; opledger.el --- Review agent-written code with the opledger ledger -*- lexical-binding: t -*-

;; Copyright (C) 2026 the opledger authors
;; SPDX-License-Identifier: MIT
;; Version: 0.1.0
;; Package-Requires: ((emacs "28.1") (eglot "1.9"))
;; Keywords: tools, convenience

;;; Commentary:

;; The opledger language server (`opledger lsp') shows the code regions an AI
;; agent wrote as diagnostics.  This package registers it with eglot and adds
;; the review decisions as commands:
;;
;;   M-x opledger-accept      accept the region at point
;;   M-x opledger-reject      reject it; the server restores the original text
;;   M-x opledger-rework      send it back for rework, with a reason
;;   M-x opledger-accept-all  accept every pending region in the buffer
;;   M-x opledger-show-ledger show the workflow's ledger
;;
;; Setup:
;;
;;   (require 'opledger)
;;   (opledger-setup)              ; eglot-server-programs + mode-line indicator
;;   (keymap-set eglot-mode-map "C-c o" opledger-command-map)   ; Emacs 29, or define-key
;;
;; Each decision, and the time from the region being shown to it, is recorded
;; on the ledger by the server; this file only sends the commands.  eglot 1.x
;; runs one server per buffer: in `opledger-modes' opledger takes the place of
;; the usual language server, or start it for one buffer with
;; `opledger-eglot-start'.

;;; Code:

(require 'cl-lib)
(require 'eglot)
(require 'jsonrpc)
(require 'json)
(require 'subr-x)

(defgroup opledger nil
  "Review agent-written code regions with opledger."
  :group 'tools
  :prefix "opledger-")

(defcustom opledger-program "opledger"
  "The opledger executable; the server is started as PROGRAM lsp."
  :type 'string)

(defcustom opledger-store nil
  "Ledger store (a directory or team service URL), passed as OPLEDGER_STORE.
nil: the opledger default or the inherited environment."
  :type '(choice (const :tag "Default" nil) string))

(defcustom opledger-config nil
  "Path of the opledger config.toml, passed as OPLEDGER_CONFIG; nil: default."
  :type '(choice (const :tag "Default" nil) file))

(defcustom opledger-modes
  '(python-mode python-ts-mode js-mode js-ts-mode typescript-mode typescript-ts-mode
                go-mode go-ts-mode rust-mode rust-ts-mode java-mode c-mode c++-mode
                ruby-mode sh-mode)
  "Major modes whose buffers eglot manages with the opledger server."
  :type '(repeat symbol))

(defconst opledger-rework-reasons
  '("wrong_problem" "violates_invariant" "missing_context" "style" "tests_insufficient" "other")
  "Why a region goes back for rework; the server refuses anything else.")

(defvar-local opledger--status nil
  "The last `opledger/status' answer for this buffer, a plist.")

(defun opledger-server-contact (&optional _interactive)
  "The command line that starts the opledger language server."
  (let ((env (delq nil (list (and opledger-store (concat "OPLEDGER_STORE=" opledger-store))
                             (and opledger-config (concat "OPLEDGER_CONFIG=" opledger-config))))))
    (append (and env (cons "env" env)) (list opledger-program "lsp"))))

;;;###autoload
(defun opledger-eglot-register (&optional modes)
  "Make eglot use the opledger server for MODES (default `opledger-modes')."
  (let ((entry (cons (or modes opledger-modes) #'opledger-server-contact)))
    (setq eglot-server-programs
          (cons entry (cl-remove #'opledger-server-contact eglot-server-programs :key #'cdr)))))

;;;###autoload
(defun opledger-eglot-start ()
  "Start (or reuse) the opledger server for this buffer.
The server manages the buffer's major mode in its project."
  (interactive)
  (let ((eglot-server-programs (cons (cons major-mode #'opledger-server-contact) eglot-server-programs)))
    (apply #'eglot (eglot--guess-contact))))

(defun opledger--server-p (server)
  "Non-nil if SERVER is the opledger language server (by the name it reports)."
  (equal (plist-get (eglot--server-info server) :name) "opledger"))

(defun opledger--server ()
  (let ((server (eglot-current-server)))
    (unless (and server (opledger--server-p server))
      (user-error "opledger: the opledger server does not manage this buffer (M-x opledger-eglot-start)"))
    server))

(defun opledger--uri ()
  (eglot--path-to-uri (or buffer-file-name (user-error "opledger: this buffer visits no file"))))

(defun opledger--execute (command args)
  "Ask the server to run COMMAND with the argument object ARGS; return its result."
  (prog1
      ;; The server applies Reject through workspace/applyEdit while we wait; the
      ;; user already asked for it, so eglot does not ask again.
      (let ((eglot-confirm-server-initiated-edits nil))
        (jsonrpc-request (opledger--server) :workspace/executeCommand
                         (list :command command :arguments (vector args))))
    (opledger-refresh-status)))

(defun opledger--at-point (&optional reason)
  (append (list :uri (opledger--uri) :position (eglot--pos-to-lsp-position))
          (and reason (list :reason reason))))

;;;###autoload
(defun opledger-accept ()
  "Accept the agent-written region at point."
  (interactive)
  (opledger--execute "opledger.accept" (opledger--at-point))
  (message "opledger: region accepted"))

;;;###autoload
(defun opledger-reject ()
  "Reject the agent-written region at point.
The server restores the text the agent replaced."
  (interactive)
  (opledger--execute "opledger.reject" (opledger--at-point))
  (message "opledger: region rejected, original text restored"))

;;;###autoload
(defun opledger-rework (reason)
  "Send the agent-written region at point back for rework because of REASON."
  (interactive (list (completing-read "Why does it go back for rework? " opledger-rework-reasons nil t)))
  (unless (member reason opledger-rework-reasons)
    (user-error "opledger: unknown rework reason %S; use one of %s" reason
                (string-join opledger-rework-reasons ", ")))
  (opledger--execute "opledger.rework" (opledger--at-point reason))
  (message "opledger: region sent back for rework (%s)" reason))

;;;###autoload
(defun opledger-accept-all ()
  "Accept every pending agent-written region in this buffer."
  (interactive)
  (opledger--execute "opledger.acceptAll" (list :uri (opledger--uri)))
  (message "opledger: all pending regions in this file accepted"))

;;;###autoload
(defun opledger-show-ledger (&optional workflow)
  "Show the ledger of this file's workflow, or of WORKFLOW.
With a prefix argument, ask for the workflow."
  (interactive (list (and current-prefix-arg (read-string "Workflow: "))))
  (let* ((args (if (and workflow (not (string-empty-p workflow)))
                   (list :workflow workflow)
                 (list :uri (opledger--uri))))
         (result (opledger--execute "opledger.showLedger" args))
         (json-encoding-pretty-print t))
    (with-current-buffer (get-buffer-create "*opledger ledger*")
      (let ((inhibit-read-only t))
        (erase-buffer)
        (insert (json-encode result) "\n")
        (goto-char (point-min))
        (when (fboundp 'js-json-mode) (js-json-mode))
        (special-mode))
      (display-buffer (current-buffer)))
    result))

(defun opledger-refresh-status (&optional buffer)
  "Ask the server for the pending counts of BUFFER, without waiting.
BUFFER defaults to the current buffer."
  (with-current-buffer (or buffer (current-buffer))
    (when-let ((server (and buffer-file-name (eglot-current-server)))
               ((opledger--server-p server))
               (buf (current-buffer)))
      (jsonrpc-async-request
       server :opledger/status (list :uri (opledger--uri))
       :success-fn (lambda (status)
                     (when (buffer-live-p buf)
                       (with-current-buffer buf
                         (setq opledger--status status)
                         (force-mode-line-update))))
       :error-fn #'ignore
       :timeout-fn #'ignore))))

(defun opledger-mode-line ()
  "Mode-line text: pending regions in this file / in the workflow."
  (when-let ((status opledger--status))
    (let ((workflow (plist-get status :workflow))
          (pending (or (plist-get status :pending) 0)))
      (setq workflow (if (stringp workflow) workflow "no workflow"))
      (if (zerop pending)
          (format " [%s ✓]" workflow)
        (format " [%s %d/%d pending]" workflow (or (plist-get status :pendingInFile) 0) pending)))))

(defvar opledger--mode-line-entry '(:eval (opledger-mode-line)))

(defun opledger--on-managed ()
  (when (eglot-managed-p) (opledger-refresh-status)))

;;;###autoload
(define-minor-mode opledger-mode-line-mode
  "Show pending agent-written regions in the mode line."
  :global t
  (if opledger-mode-line-mode
      (progn
        (add-to-list 'mode-line-misc-info opledger--mode-line-entry)
        (add-hook 'eglot-managed-mode-hook #'opledger--on-managed))
    (setq mode-line-misc-info (delete opledger--mode-line-entry mode-line-misc-info))
    (remove-hook 'eglot-managed-mode-hook #'opledger--on-managed)))

;; Refresh the indicator whenever the opledger server republishes a file's diagnostics
;; (a decision, an agent edit); eglot 1.9 has no hook for it, but its handler is generic.
(cl-defmethod eglot-handle-notification :after
  (server (_method (eql textDocument/publishDiagnostics)) &key uri &allow-other-keys)
  (when (and opledger-mode-line-mode (opledger--server-p server))
    (when-let ((buffer (find-buffer-visiting (eglot--uri-to-path uri))))
      (opledger-refresh-status buffer))))

(defvar opledger-command-map
  (let ((map (make-sparse-keymap)))
    (define-key map "a" #'opledger-accept)
    (define-key map "r" #'opledger-reject)
    (define-key map "w" #'opledger-rework)
    (define-key map "A" #'opledger-accept-all)
    (define-key map "l" #'opledger-show-ledger)
    map)
  "Keys for the review decisions; bind it to a prefix, e.g. C-c o.")
(fset 'opledger-command-map opledger-command-map)

;;;###autoload
(defun opledger-setup ()
  "Register the server with eglot for `opledger-modes'.
Also turn on the mode-line indicator."
  (opledger-eglot-register)
  (opledger-mode-line-mode 1))

(provide 'opledger)
;;; opledger.el ends here
