;;; emacs_scenario.el --- drive Emacs + eglot + opledger.el through the review scenario -*- lexical-binding: t -*-

;; Usage: emacs --batch -L editors/emacs -l tests/editors/emacs_scenario.el
;; Reads OPLEDGER_TEST_FILE / OPLEDGER_TEST_EXPECTED, writes what it saw as JSON to
;; OPLEDGER_TEST_RESULTS, and exits non-zero on the first failed expectation.

(require 'json)
(require 'flymake)
(require 'opledger)

(defvar scenario-seen (list (cons 'steps nil)))
(defvar scenario-timeout 30)

(defun scenario-put (key value)
  (setf (alist-get key scenario-seen) value))

(defun scenario-finish (error)
  (when error (scenario-put 'error (format "%S" error)))
  (with-temp-file (getenv "OPLEDGER_TEST_RESULTS")
    (insert (json-encode scenario-seen)))
  (kill-emacs (if error 1 0)))

(defun scenario-wait (what predicate)
  (let ((deadline (+ (float-time) scenario-timeout)))
    (while (not (funcall predicate))
      (when (> (float-time) deadline)
        (error "Timed out waiting for %s" what))
      (accept-process-output nil 0.05)
      ;; Batch Emacs runs no command loop, so flymake's deferred start never fires by itself.
      (when (and (bound-and-true-p flymake-mode) (eglot-current-server))
        (flymake-start)))))

(defun scenario-pending ()
  "opledger diagnostics as (LINE END-LINE) pairs, 0-based, sorted."
  (sort (cl-loop for d in (flymake-diagnostics)
                 for text = (flymake-diagnostic-text d)
                 when (string-match-p "opledger\\|agent" text)
                 collect (let ((end (flymake-diagnostic-end d)))
                           (list (1- (line-number-at-pos (flymake-diagnostic-beg d)))
                                 ;; a whole-line region may end at column 0 of the next line
                                 (1- (line-number-at-pos (if (and (> end (point-min))
                                                                 (save-excursion (goto-char end) (bolp)))
                                                            (1- end) end))))))
        (lambda (a b) (< (car a) (car b)))))

(defun scenario-goto (line)
  (goto-char (point-min))
  (forward-line line)
  (forward-char 2))

(defun scenario-line (line)
  (save-excursion (goto-char (point-min)) (forward-line line)
                  (buffer-substring-no-properties (line-beginning-position) (line-end-position))))

(defun scenario-run ()
  (let* ((expected (let ((json-array-type 'list)) (json-read-from-string (getenv "OPLEDGER_TEST_EXPECTED"))))
         (reject-line (car (alist-get 'reject expected))))
    (opledger-setup)
    (find-file (getenv "OPLEDGER_TEST_FILE"))
    (scenario-put 'major_mode (symbol-name major-mode))
    ;; eglot-ensure waits for the command loop; in batch, connect the way it would.
    (apply #'eglot--connect (eglot--guess-contact))
    (scenario-wait "the opledger server" #'eglot-current-server)
    (scenario-put 'server_command (process-command (jsonrpc--process (eglot-current-server))))
    (scenario-wait "three agent-edit diagnostics" (lambda () (= (length (scenario-pending)) 3)))
    (scenario-put 'diagnostics (mapcar (lambda (d) (list (cons 'line (car d)) (cons 'end_line (cadr d)))) (scenario-pending)))
    ;; The indicator refreshes itself when diagnostics arrive; wait for the count to show.
    (scenario-wait "the mode-line status" (lambda () (equal (plist-get opledger--status :pendingInFile) 3)))
    (scenario-put 'mode_line_before (opledger-mode-line))
    (scenario-put 'mode_line_installed (and (member opledger--mode-line-entry mode-line-misc-info) t))

    (scenario-goto (1+ (car (alist-get 'accept expected))))
    (opledger-accept)
    (scenario-wait "the accepted region to leave" (lambda () (= (length (scenario-pending)) 2)))
    (push "accept" (alist-get 'steps scenario-seen))

    (scenario-put 'before_reject (scenario-line reject-line))
    (scenario-goto reject-line)
    (opledger-reject)
    (scenario-wait "the original text to come back" (lambda () (equal (scenario-line reject-line) "    return 0")))
    (scenario-wait "the rejected region to leave" (lambda () (= (length (scenario-pending)) 1)))
    (push "reject" (alist-get 'steps scenario-seen))

    (scenario-goto (car (alist-get 'rework expected)))
    (opledger-rework "missing_context")
    (scenario-wait "the reworked region to leave" (lambda () (null (scenario-pending))))
    (push "rework" (alist-get 'steps scenario-seen))

    (scenario-wait "the mode-line status after the decisions" (lambda () (equal (plist-get opledger--status :pending) 0)))
    (scenario-put 'mode_line_after (opledger-mode-line))

    (let ((ledger (opledger-show-ledger)))
      (scenario-put 'ledger_is_object (and (consp ledger) t))
      (scenario-put 'ledger_buffer (with-current-buffer "*opledger ledger*" (buffer-string))))

    (save-buffer)
    (scenario-put 'text (buffer-substring-no-properties (point-min) (point-max)))
    (setf (alist-get 'steps scenario-seen) (vconcat (reverse (alist-get 'steps scenario-seen))))))

(condition-case err
    (progn (scenario-run) (scenario-finish nil))
  (error (scenario-finish err)))
;;; emacs_scenario.el ends here
